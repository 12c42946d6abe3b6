#!/usr/bin/env bash
# `make dev`: install what is missing, then run PostgreSQL, the Temporal dev
# server (with its UI), the worker, the API and the SPA as plain processes,
# with data under .reelpilot/dev. Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

dev_env
mkdir -p "$DEV_DIR/logs"

install_all
# The onnxruntime library is in the venv only once it is installed.
ONNXRUNTIME_LIB=${ONNXRUNTIME_LIB:-$(onnxruntime_lib)}
export ONNXRUNTIME_LIB
log "building the API and the worker"
# The same target set as `make test`, so both share one build of the dependencies.
cargo build --workspace --bins --tests
USE_LOCAL_MODEL=
if [ -z "${LLM_API_KEY:-}" ] && [ -z "${LLM_BASE_URL:-}" ] && [ "${LLM_PROVIDER:-local}" = local ]; then
  USE_LOCAL_MODEL=1
  build_llm_server
fi

PIDS=()
cleanup() {
  # A second Ctrl-C must not cut the cleanup short (PostgreSQL would stay up).
  trap - EXIT
  trap "" INT TERM
  log "stopping"
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # Parts finish the work in hand (the worker its activity, the model its
  # answer); whatever is still running after 10 s is killed.
  local i pid alive
  for i in $(seq 1 50); do
    alive=
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.2
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  pg_stop "$DEV_DIR/pg"
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_start "$DEV_DIR/pg" "$PG_PORT"
pg_ensure_database "$PG_PORT" reelpilot
temporal_start "$DEV_DIR/temporal.db" "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$DEV_DIR/logs/temporal.log"
PIDS+=("$TEMPORAL_PID")
mail_start "$MAIL_SMTP_PORT" "$MAIL_WEB_PORT" "$DEV_DIR/logs/mail.log"
PIDS+=("$MAIL_PID")

export LOG_FORMAT=${LOG_FORMAT:-json}

# STORAGE_BACKEND=s3 without an endpoint: a local S3-compatible server
# (s3s-fs) with credentials generated once and kept with the dev data.
STORAGE_NOTE="local files in $STORAGE_LOCAL_DIR"
if [ "${STORAGE_BACKEND:-local}" = s3 ] && [ -z "${S3_ENDPOINT:-}" ]; then
  install_s3_server
  [ -f "$DEV_DIR/s3-credentials" ] ||
    (umask 077; echo "S3_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >"$DEV_DIR/s3-credentials")
  source "$DEV_DIR/s3-credentials"
  export S3_ACCESS_KEY_ID=AKIAREELPILOTDEV S3_SECRET_ACCESS_KEY S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  export S3_BUCKET=${S3_BUCKET:-reelpilot}
  mkdir -p "$DEV_DIR/s3/$S3_BUCKET"
  s3_start "$DEV_DIR/s3" "$S3_PORT" "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" "$DEV_DIR/logs/s3.log"
  PIDS+=("$S3_PID")
  STORAGE_NOTE="S3 (s3s-fs) at $S3_ENDPOINT, bucket $S3_BUCKET"
elif [ "${STORAGE_BACKEND:-local}" = s3 ]; then
  STORAGE_NOTE="S3 at $S3_ENDPOINT, bucket ${S3_BUCKET:-reelpilot}"
fi

BIN=${CARGO_TARGET_DIR:-target}/debug
# Without a key for a hosted model, plans are drafted offline: by SmolLM2
# through the local llama.cpp server (default), or by the simulator
# (LLM_PROVIDER=simulator: instant, synthetic text).
if [ -n "$USE_LOCAL_MODEL" ]; then
  llm_server_start "$LLM_LOCAL_PORT" "$DEV_DIR/logs/llm.log"
  PIDS+=("$LLM_SERVER_PID")
  export LLM_BASE_URL="http://127.0.0.1:$LLM_LOCAL_PORT/v1" LLM_MODEL=${LLM_MODEL:-SmolLM2-135M-Instruct}
  # A stand-in: the web app tells people what it drafts is not the real thing.
  export LLM_PLACEHOLDER=true
  # A small CPU model: a day per call, generous timeouts, no cost.
  export PLAN_BATCH_DAYS=${PLAN_BATCH_DAYS:-1} LLM_TIMEOUT_SECS=${LLM_TIMEOUT_SECS:-900} LLM_REPAIR_ATTEMPTS=${LLM_REPAIR_ATTEMPTS:-1}
  export LLM_PRICE_IN_MICROS_PER_MTOK=0 LLM_PRICE_OUT_MICROS_PER_MTOK=0
  LLM_NOTE="SmolLM2-135M-Instruct, local (llama.cpp) at $LLM_BASE_URL; set LLM_API_KEY in .env for OpenRouter"
elif [ "${LLM_PROVIDER:-}" = simulator ]; then
  "$BIN/reelpilot-llm-sim" "127.0.0.1:$LLM_SIM_PORT" > >(tee -a "$DEV_DIR/logs/llm.log") 2>&1 &
  PIDS+=($!)
  export LLM_BASE_URL="http://127.0.0.1:$LLM_SIM_PORT/v1" LLM_MODEL=${LLM_MODEL:-sim/planner}
  LLM_NOTE="simulator at $LLM_BASE_URL (synthetic text)"
else
  LLM_NOTE="${LLM_MODEL:-openai/gpt-4o-mini} at ${LLM_BASE_URL:-https://openrouter.ai/api/v1}"
fi

# Without a TikTok app of your own, the local TikTok sandbox (the simulator
# of TikTok's documented API) plays TikTok, so connecting and posting work offline.
if [ -z "${TIKTOK_CLIENT_KEY:-}" ]; then
  [ -f "$DEV_DIR/tiktok-sandbox" ] ||
    (umask 077; echo "TIKTOK_CLIENT_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" >"$DEV_DIR/tiktok-sandbox")
  source "$DEV_DIR/tiktok-sandbox"
  export TIKTOK_CLIENT_KEY=reelpilot-sandbox TIKTOK_CLIENT_SECRET
  export TIKTOK_SIM_CLIENT_KEY=$TIKTOK_CLIENT_KEY TIKTOK_SIM_CLIENT_SECRET=$TIKTOK_CLIENT_SECRET
  export TIKTOK_API_BASE="http://127.0.0.1:$TIKTOK_SIM_PORT" TIKTOK_AUTH_URL="http://127.0.0.1:$TIKTOK_SIM_PORT/v2/auth/authorize/"
  "$BIN/reelpilot-tiktok-sim" "127.0.0.1:$TIKTOK_SIM_PORT" > >(tee -a "$DEV_DIR/logs/tiktok.log") 2>&1 &
  PIDS+=($!)
  TIKTOK_NOTE="local sandbox at $TIKTOK_API_BASE (what it posted: $TIKTOK_API_BASE/sandbox/posts;
                 set TIKTOK_CLIENT_KEY/SECRET in .env for real TikTok)"
else
  TIKTOK_NOTE="${TIKTOK_API_BASE:-https://open.tiktokapis.com} with client key $TIKTOK_CLIENT_KEY"
fi

"$BIN/reelpilot-api" migrate
WORKER_METRICS_ADDR=${WORKER_METRICS_ADDR:-127.0.0.1:$WORKER_METRICS_PORT} \
  TEMPORAL_SDK_METRICS_ADDR=${TEMPORAL_SDK_METRICS_ADDR:-127.0.0.1:$SDK_METRICS_PORT} \
  "$BIN/reelpilot-worker" > >(tee -a "$DEV_DIR/logs/worker.log") 2>&1 &
PIDS+=($!)
"$BIN/reelpilot-api" serve > >(tee -a "$DEV_DIR/logs/api.log") 2>&1 &
PIDS+=($!)
if [ -f web/package.json ]; then
  (cd web && API_PORT=$API_PORT exec node_modules/.bin/vite --host 127.0.0.1 --port "$WEB_PORT" --strictPort) &
  PIDS+=($!)
fi

for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$API_PORT/healthz" >/dev/null && break; sleep 0.2; done
cat >&2 <<MSG

  Reelpilot is running
    SPA          http://127.0.0.1:$WEB_PORT
    API          http://127.0.0.1:$API_PORT   (readiness: /readyz, Prometheus: /metrics)
    Worker       Prometheus metrics at http://${WORKER_METRICS_ADDR:-127.0.0.1:$WORKER_METRICS_PORT}/metrics
                 (the Temporal SDK's at http://${TEMPORAL_SDK_METRICS_ADDR:-127.0.0.1:$SDK_METRICS_PORT}/metrics)
    Temporal UI  http://127.0.0.1:$TEMPORAL_UI_PORT
    Mail inbox   http://127.0.0.1:$MAIL_WEB_PORT   (every email the app sends lands here)
    LLM          $LLM_NOTE
    Storage      $STORAGE_NOTE
    TikTok       $TIKTOK_NOTE
    PostgreSQL   postgres://postgres@127.0.0.1:$PG_PORT/reelpilot
  Logs in $DEV_DIR/logs. Press Ctrl-C to stop everything.

MSG
# Stop everything as soon as one part exits, so a crash is never silent.
wait -n "${PIDS[@]}" || true
log "a process exited; shutting down"
