#!/usr/bin/env bash
# Install what is missing, then run the whole test suite on a virtual X server.
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"
cd "$ROOT"
if [ -z "${VIS3D_MNIST:-}" ] && [ -d "$ROOT/../shared/data/mnist" ]; then
  export VIS3D_MNIST="$ROOT/../shared/data/mnist"
fi
export QT_QPA_PLATFORM=xcb
exec xvfb-run -a -s "-screen 0 1920x1080x24" "$VENV/bin/python" -m pytest "$@"
