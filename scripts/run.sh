#!/usr/bin/env bash
# Install what is missing, then open the vis3d window (extra arguments go to vis3d).
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "vis3d: no display found; starting it on a virtual X server (xvfb-run)" >&2
  exec xvfb-run -a -s "-screen 0 1920x1080x24" "$VENV/bin/vis3d" "$@"
fi
exec "$VENV/bin/vis3d" "$@"
