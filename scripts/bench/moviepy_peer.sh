#!/usr/bin/env bash
# The peer that activities/benches/render.rs measures our render against:
# MoviePy (PyPI, pinned), the library MoneyPrinterTurbo and ShortGPT compose
# their videos with, in its own venv under $STATE_DIR/bench (installed once:
# about 10 s and 290 MB with numpy and imageio-ffmpeg). It encodes with Debian's ffmpeg, the one we use.
# Prints KEY=value lines for the bench: BENCH_MOVIEPY_PYTHON, BENCH_MOVIEPY_SCRIPT.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

MOVIEPY_VERSION=2.2.1
VENV_DIR=$STATE_DIR/bench/moviepy-$MOVIEPY_VERSION
if [ ! -f "$VENV_DIR/.installed" ]; then
  log "installing MoviePy $MOVIEPY_VERSION for the render benchmark (once, about 10 s and 290 MB)"
  mkdir -p "$STATE_DIR/bench"
  python3 -m venv "$VENV_DIR"
  "$VENV_DIR/bin/pip" install -q --disable-pip-version-check "moviepy==$MOVIEPY_VERSION"
  touch "$VENV_DIR/.installed"
fi
echo "BENCH_MOVIEPY_PYTHON=$VENV_DIR/bin/python"
echo "BENCH_MOVIEPY_SCRIPT=$ROOT/scripts/bench/moviepy_render.py"
