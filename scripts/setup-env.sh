# Sourced by run.sh and test.sh: installs what is missing, then activates .venv.
# System packages (Debian/Ubuntu) come through apt-get, with sudo when not root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VIS3D_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

APT_PACKAGES=(xvfb xauth libgl1-mesa-dri libegl1 libegl-mesa0 libglx-mesa0 libxkbcommon-x11-0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0 libxcb-cursor0 libxcb-render0 libxcb-shm0
  libxcb-sync1 libxcb-util1 libx11-xcb1 libxkbcommon0 libgl1 libglib2.0-0 libdbus-1-3
  libfontconfig1 libfreetype6)
[ -n "${VIS3D_EXTRA_APT:-}" ] && APT_PACKAGES+=($VIS3D_EXTRA_APT)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then
    missing+=("python3-venv")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "vis3d setup: installing system packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "vis3d setup: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
# Reinstall only when the package metadata changed since the last install.
STAMP="$VENV/.vis3d-installed"
WANT="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "vis3d setup: installing Python packages into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
  # The CPU build first: an unpinned torch would pull a multi-GB CUDA build.
  "$VENV/bin/python" -m pip install -q "torch==2.13.0"
  "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
