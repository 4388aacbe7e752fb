#!/usr/bin/env bash
# Fetch the real images used for calibration and evaluation (README.md, "Real models: MobileNetV2 and
# PP-OCRv4") from two Debian packages,
# opencv-doc (BSD-3-Clause sample data) and darknet (sample images), into
#   ${AMCT_CACHE:-$HOME/.cache/amct}/images/{photos,text}
# The .debs stay in images/debs so a rerun downloads nothing; a run that finds every listed file does nothing.
# One line per step goes to stderr, apt-get's output to ~/.cache/amct/logs/fetch_images.log (scripts/common.sh);
# the last line of stdout is the images directory.
# usage: scripts/fetch_images.sh
set -euo pipefail
PROG=fetch_images
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DIR="$AMCT_CACHE/images"
DEBS="$DIR/debs"
OPENCV=usr/share/doc/opencv-doc/examples/data
DARKNET=usr/share/darknet/data

# Selection rule: natural photographs and scenes (paintings included); synthetic or graphic images (renders,
# cartoons, logos, charts, chessboards, masks, noise) and near-identical second frames/views are left out.
# Left out for that reason: Blender_Suzanne*, HappyFish, *Logo*, opencv-logo*, cards, chessboard, detect_blob,
# digits, ellipses, gradient, mask, ml, pic1-6, templ, tmpl, aloeGT, left01-14, right01-14 (chessboards),
# aloeR, basketball2, rubberwhale2, ela_modified (near-duplicates), notes (sheet music, no text lines).
PHOTOS=(
    "$OPENCV/aero1.jpg" "$OPENCV/aero3.jpg" "$OPENCV/aloeL.jpg" "$OPENCV/apple.jpg" "$OPENCV/baboon.jpg"
    "$OPENCV/basketball1.png" "$OPENCV/blox.jpg" "$OPENCV/board.jpg" "$OPENCV/box.png"
    "$OPENCV/box_in_scene.png" "$OPENCV/building.jpg" "$OPENCV/butterfly.jpg" "$OPENCV/chicky_512.png"
    "$OPENCV/ela_original.jpg" "$OPENCV/fruits.jpg" "$OPENCV/graf1.png" "$OPENCV/graf3.png" "$OPENCV/home.jpg"
    "$OPENCV/left.jpg" "$OPENCV/leuvenA.jpg" "$OPENCV/leuvenB.jpg" "$OPENCV/messi5.jpg" "$OPENCV/orange.jpg"
    "$OPENCV/pca_test1.jpg" "$OPENCV/right.jpg" "$OPENCV/rubberwhale1.png" "$OPENCV/smarties.png"
    "$OPENCV/squirrel_cls.jpg" "$OPENCV/starry_night.jpg" "$OPENCV/stuff.jpg" "$OPENCV/sudoku.png"
    "$DARKNET/dog.jpg" "$DARKNET/eagle.jpg" "$DARKNET/giraffe.jpg" "$DARKNET/horses.jpg" "$DARKNET/kite.jpg"
    "$DARKNET/person.jpg" "$DARKNET/scream.jpg"
)
# Images whose content is lines of text (printed pages, blurred pages, a licence plate).
TEXT=(
    "$OPENCV/imageTextN.png" "$OPENCV/imageTextR.png" "$OPENCV/text_defocus.jpg" "$OPENCV/text_motion.jpg"
    "$OPENCV/licenseplate_motion.jpg"
)

complete() {
    local f
    for f in "${PHOTOS[@]}"; do [ -s "$DIR/photos/$(basename "$f")" ] || return 1; done
    for f in "${TEXT[@]}"; do [ -s "$DIR/text/$(basename "$f")" ] || return 1; done
}

mkdir -p "$DEBS" "$DIR/photos" "$DIR/text"
exec 9>>"$DIR/.lock"
flock 9

# download PKG: its .deb into $tmp. As root, apt would hand the download to its unprivileged _apt user, who
# cannot enter $tmp (under a 0700 home); the download is then done as root, which APT::Sandbox::User=root
# says explicitly instead of warning. As another user, apt downloads as that user.
download() {
    local sandbox=()
    [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
    (cd "$tmp" && apt-get "${sandbox[@]}" download "$1")
}

if ! complete; then
    tmp=$(mktemp -d "$DIR/extract.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    for pkg in opencv-doc darknet; do
        if compgen -G "$DEBS/${pkg}_*.deb" >/dev/null; then
            log "$pkg .deb already in $DEBS"
            continue
        fi
        # A fresh machine may have no package lists yet.
        if ! apt-cache show "$pkg" >/dev/null 2>&1; then
            step "updating the package lists" apt_get update || die "apt-get update failed"
        fi
        # Into $tmp first so that an interrupted download leaves no .deb behind.
        step "downloading $pkg into $DEBS" download "$pkg" || die "apt-get download $pkg failed"
        mv "$tmp/${pkg}"_*.deb "$DEBS/"
    done
    for deb in "$DEBS"/opencv-doc_*.deb "$DEBS"/darknet_*.deb; do
        step "extracting $(basename "$deb")" dpkg -x "$deb" "$tmp" || die "dpkg -x $deb failed"
    done
    copy() { # copy SRC DESTDIR: via a temporary name so an interrupted run leaves no partial file
        [ -s "$tmp/$1" ] || die "$(basename "$1") is not in the package (expected /$1)"
        cp "$tmp/$1" "$2/.$(basename "$1").part"
        mv "$2/.$(basename "$1").part" "$2/$(basename "$1")"
    }
    for f in "${PHOTOS[@]}"; do copy "$f" "$DIR/photos"; done
    for f in "${TEXT[@]}"; do copy "$f" "$DIR/text"; done
    rm -rf "$tmp"
    trap - EXIT
    log "${#PHOTOS[@]} photos in $DIR/photos, ${#TEXT[@]} text images in $DIR/text"
else
    log "${#PHOTOS[@]} photos and ${#TEXT[@]} text images already in $DIR"
fi

printf '%s\n' "$DIR"
