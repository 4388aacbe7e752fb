# shellcheck shell=bash
# Shared helpers of the set-up scripts (deps.sh, fetch_*.sh, test.sh, demo.sh), sourced after setting PROG:
#   PROG=deps; . "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# Installer output (apt-get, dpkg, npm) goes to $AMCT_LOG_DIR/$PROG.log, default ~/.cache/amct/logs; the
# terminal gets one line per step, and on a failure the log's path and its last lines.

AMCT_CACHE="${AMCT_CACHE:-$HOME/.cache/amct}"
AMCT_LOG_DIR="${AMCT_LOG_DIR:-$AMCT_CACHE/logs}"
LOG="$AMCT_LOG_DIR/${PROG:?set PROG before sourcing common.sh}.log"

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# step DESCRIPTION CMD...: runs CMD with its output appended to $LOG, printing
# "PROG: DESCRIPTION ... done (12 s)", or "failed" with the log's path and this step's last 20 lines; returns
# CMD's status.
step() {
    local what=$1 t0=$SECONDS status=0 start
    shift
    mkdir -p "$AMCT_LOG_DIR"
    printf '\n== %s: %s (%s)\n' "$(date -u '+%F %T UTC')" "$what" "$*" >>"$LOG"
    start=$(wc -l <"$LOG")
    printf '%s: %s ... ' "$PROG" "$what" >&2
    "$@" >>"$LOG" 2>&1 </dev/null || status=$?
    if ((status == 0)); then
        printf 'done (%d s)\n' $((SECONDS - t0)) >&2
    else
        local lines
        lines=$(tail -n +$((start + 1)) "$LOG" | tail -n 20)
        if [ -n "$lines" ]; then
            printf 'failed (%d s, exit status %d); the last lines of %s:\n%s\n' $((SECONDS - t0)) "$status" \
                "$LOG" "    ${lines//$'\n'/$'\n    '}" >&2
        else
            printf 'failed (%d s, exit status %d; no output)\n' $((SECONDS - t0)) "$status" >&2
        fi
    fi
    return "$status"
}

# can_be_root: this user is root or has sudo.
can_be_root() { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; }

# as_root CMD...: CMD as root, else through sudo; dies naming the command when neither is possible.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif can_be_root; then
        sudo "$@"
    else
        die "$* needs root or sudo; run it as root, then rerun $0"
    fi
}

# apt_get ARGS...: apt-get as root (or through sudo), never asking questions.
apt_get() { as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }

# npm_install DIR SPEC...: npm install SPEC... in and into DIR (so no project's npm config applies), plus the
# options in the array npm_options; each request bounded by --fetch-timeout and retried, the whole install by
# AMCT_NPM_TIMEOUT seconds (default 900). A failure names the packages, the registry and the cause.
npm_options=()
npm_install() {
    local dir=$1 registry limit=${AMCT_NPM_TIMEOUT:-900} status=0
    shift
    registry=$(cd "$dir" && npm config get registry 2>/dev/null) || registry="the npm registry"
    step "npm install $* from $registry" \
        timeout -k 10 "$limit" env -C "$dir" npm install --prefix "$dir" --save-exact --no-audit --no-fund \
        --no-progress --fetch-timeout=60000 --fetch-retries=2 "${npm_options[@]}" "$@" || status=$?
    if ((status == 124 || status == 137)); then
        die "npm install $* from $registry did not finish within $limit s (AMCT_NPM_TIMEOUT); is the registry reachable (behind a proxy: npm config set proxy URL)?"
    elif ((status != 0)); then
        die "npm install $* from $registry failed (exit status $status; npm's output is in $LOG)"
    fi
}
