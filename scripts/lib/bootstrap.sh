# Sourced by every script in scripts/: makes a fresh Debian machine with only
# Python 3.11 ready to run the kiosk, and is quick when it already is.
#   - Debian packages (as root: installed; otherwise the exact apt-get line is printed)
#   - .venv with the project and its dev tools (re-installed when pyproject.toml changes)
#   - generated assets (the Simplified Chinese font face; see scripts/lib/assets.py)
# Sets ROOT and PY.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

# Debian packages the kiosk, its simulators and its tests use.
#  xvfb xauth libgl1 libgl1-mesa-dri libegl1 : the virtual display and software OpenGL for Kivy
#  libmtdev1 libsdl2-2.0-0                    : input and window libraries Kivy's wheels expect
#  fonts-noto-cjk                             : Chinese glyphs, including rare name characters
#  pcscd vsmartcard-vpcd libpcsclite-dev      : real PC/SC stack with a virtual reader; pyscard build
#  postgresql                                 : back-office tests against a real PostgreSQL
#  facedetect                                 : ships a real photo (Grace Hopper) used by face tests
#  libsane-dev                                : python-sane build; libsane1's "test" backend for tests
#  ghostscript                                : reads back the PDFs of captured pages in tests
#  espeak-ng sox                              : voice prompts (synthesis, playback, measuring)
#  libzinnia0 tegaki-zinnia-simplified-chinese: handwriting recognition and its model
#  gcc                                        : builds the stand-in of a vendor's SDT_* library
#  cage                                       : the terminal's Wayland kiosk compositor; the
#                                               units' systemd-analyze verify needs its binary
#  chromium                                   : the operations console's browser tests (Playwright)
KIOSK_APT_PACKAGES="${KIOSK_APT_PACKAGES:-xvfb xauth libgl1 libgl1-mesa-dri libegl1 libmtdev1 \
fonts-noto-cjk fonts-hanazono fonts-babelstone-han pcscd vsmartcard-vpcd libpcsclite-dev postgresql facedetect libsane-dev ghostscript \
espeak-ng sox libzinnia0 tegaki-zinnia-simplified-chinese gcc cage chromium}"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

ensure_apt() {
    local missing=() pkg
    for pkg in $KIOSK_APT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        log "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
        # pcscd is socket-activated on a normal boot; here the tests start it themselves.
    else
        log "missing Debian packages; as root run:"
        log "  apt-get update && apt-get install -y ${missing[*]}"
        [ "${KIOSK_ALLOW_MISSING_APT:-0}" = 1 ] || return 1
    fi
}

find_python() {
    local cand
    for cand in python3.11 python3.12 python3.13 python3; do
        if command -v "$cand" >/dev/null \
            && "$cand" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))'; then
            echo "$cand"; return 0
        fi
    done
    log "Python 3.11 is required (python3.11 not found)"; return 1
}

ensure_venv() {
    local stamp="$VENV/.kiosk-stamp" want
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [ -x "$PY" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    local base; base="$(find_python)"
    if [ ! -x "$PY" ]; then
        log "creating $VENV"
        if ! "$base" -m venv "$VENV" 2>/dev/null; then
            if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
                apt-get install -y -q python3-venv >/dev/null
                "$base" -m venv "$VENV"
            else
                log "python venv support is missing; as root run: apt-get install -y python3-venv"
                return 1
            fi
        fi
    fi
    log "installing Python packages (pyproject.toml changed)"
    "$PY" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[dev]"
    echo "$want" > "$stamp"
}

ensure_assets() {
    if [ -f "$ROOT/scripts/lib/assets.py" ]; then
        "$PY" "$ROOT/scripts/lib/assets.py"
    fi
}

ensure_apt
ensure_venv
ensure_assets
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 KIVY_HOME="$ROOT/var/kivy"
# Python writes its bytecode caches (__pycache__/, ignored by git) as it imports: without
# them every start of the kiosk compiles each module again (a release is byte-compiled
# when it is installed, deploy/installer/release.py).
cd "$ROOT"
