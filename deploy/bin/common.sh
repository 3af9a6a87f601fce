# Sourced by the launchers of a release (bin/kiosk-*): the release this file is in (the
# real directory, not the current symlink, so a switch during a run changes nothing),
# its venv's Python, its code first on the path, /etc/kiosk and /var/lib/kiosk.
R="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PY="$R/venv/bin/python"
ETC="${KIOSK_ETC:-/etc/kiosk}"
DATA="${KIOSK_DATA:-/var/lib/kiosk}"
export PYTHONPATH="$R" PYTHONDONTWRITEBYTECODE=1
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 KIVY_HOME="${KIVY_HOME:-$DATA/kivy}"
# Launchers run Python with -P: the working directory is never put on the path, so
# nothing but this release's code is imported as the kiosk's.
