#!/usr/bin/env bash
# Fetch the real images used for calibration and evaluation (README.md, "Real models: MobileNetV2 and
# PP-OCRv4") from two Debian packages,
# opencv-doc (BSD-3-Clause sample data) and darknet (sample images), into
#   ${AMCT_CACHE:-$HOME/.cache/amct}/images/{photos,text}
# The .debs stay in images/debs so a rerun downloads nothing; a run that finds every listed file does nothing.
# Progress goes to stderr; the last line of stdout is the images directory.
# usage: scripts/fetch_images.sh
set -euo pipefail

DIR="${AMCT_CACHE:-$HOME/.cache/amct}/images"
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

log() { printf 'fetch_images: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

complete() {
    local f
    for f in "${PHOTOS[@]}"; do [ -s "$DIR/photos/$(basename "$f")" ] || return 1; done
    for f in "${TEXT[@]}"; do [ -s "$DIR/text/$(basename "$f")" ] || return 1; done
}

mkdir -p "$DEBS" "$DIR/photos" "$DIR/text"
exec 9>>"$DIR/.lock"
flock 9

# apt_get ARGS...: as root, else through sudo.
apt_get() {
    if [ "$(id -u)" -eq 0 ]; then
        apt-get "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get "$@"
    else
        die "apt-get $* needs root or sudo; run it as root, then rerun $0"
    fi
}

if ! complete; then
    tmp=$(mktemp -d "$DIR/extract.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    lists_updated=false
    for pkg in opencv-doc darknet; do
        if compgen -G "$DEBS/${pkg}_*.deb" >/dev/null; then
            log "$pkg .deb already in $DEBS"
            continue
        fi
        log "downloading $pkg into $DEBS"
        # Into $tmp first so that an interrupted download leaves no .deb behind. A fresh machine may have no
        # package lists yet: update them once.
        until (cd "$tmp" && apt-get download "$pkg" 1>&2); do
            if "$lists_updated"; then die "apt-get download $pkg failed"; fi
            lists_updated=true
            log "updating the package lists"
            apt_get update -qq 1>&2 || die "apt-get update failed"
        done
        mv "$tmp/${pkg}"_*.deb "$DEBS/"
    done
    for deb in "$DEBS"/opencv-doc_*.deb "$DEBS"/darknet_*.deb; do
        log "extracting $(basename "$deb")"
        dpkg -x "$deb" "$tmp"
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
fi

printf '%s\n' "$DIR"
