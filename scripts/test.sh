#!/usr/bin/env bash
# `make test`: install what is missing, start a throwaway PostgreSQL,
# Temporal dev server and mail catcher on free ports, run every Rust and web
# test, and stop everything it started, even on failure. `make bench` runs
# the benchmarks against the same servers instead.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

install_all
install_s3_server

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/reelpilot-test.XXXXXX")
chmod 755 "$RUN_DIR"
TEMPORAL_PID=
MAIL_PID=
LLM_SERVER_PID=
S3_PID=
cleanup() {
  local status=$?
  for pid in $TEMPORAL_PID $MAIL_PID $LLM_SERVER_PID $S3_PID; do
    kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
  done
  pg_stop "$RUN_DIR/pg"
  if [ $status -ne 0 ]; then
    log "tests failed; server logs kept in $RUN_DIR"
  else
    rm -rf "$RUN_DIR"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PG_PORT=$(free_port)
TEMPORAL_PORT=$(free_port)
TEMPORAL_UI_PORT=$(free_port)
MAIL_SMTP_PORT=$(free_port)
MAIL_WEB_PORT=$(free_port)
S3_PORT=$(free_port)
log "starting PostgreSQL on $PG_PORT, Temporal on $TEMPORAL_PORT (UI $TEMPORAL_UI_PORT), mail on $MAIL_SMTP_PORT, S3 on $S3_PORT"
PG_EXTRA_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  pg_start "$RUN_DIR/pg" "$PG_PORT"
temporal_start "$RUN_DIR/temporal.db" "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$RUN_DIR/temporal.log"
mail_start "$MAIL_SMTP_PORT" "$MAIL_WEB_PORT" "$RUN_DIR/mail.log"
S3_ACCESS_KEY_ID=AKIAREELPILOTTEST
S3_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
s3_start "$RUN_DIR/s3" "$S3_PORT" "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" "$RUN_DIR/s3.log"

export TEST_DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export TEST_TEMPORAL_ADDRESS="http://127.0.0.1:$TEMPORAL_PORT"
export TEST_TEMPORAL_UI_URL="http://127.0.0.1:$TEMPORAL_UI_PORT"
export TEST_SMTP_URL="smtp://127.0.0.1:$MAIL_SMTP_PORT"
export TEST_MAIL_API_URL="http://127.0.0.1:$MAIL_WEB_PORT"
export TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export TEST_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID
export TEST_S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
export TEST_PIPER_PYTHON="$VENV/bin/python"
export TEST_WHISPER_MODEL="$WHISPER_MODEL"
export TEST_EMBEDDING_MODEL_DIR="$EMBEDDING_MODEL_DIR"
TEST_ONNXRUNTIME_LIB=$(onnxruntime_lib)
export TEST_ONNXRUNTIME_LIB
export TEST_YT_DLP="$VENV/bin/yt-dlp"
export TEST_TEMPORAL_CLI="$TEMPORAL_BIN"

if [ "${1:-}" != bench ]; then
  build_llm_server
  LLM_LOCAL_PORT=$(free_port)
  llm_server_start "$LLM_LOCAL_PORT" "$RUN_DIR/llm.log"
  export TEST_LOCAL_LLM_URL="http://127.0.0.1:$LLM_LOCAL_PORT/v1"
fi
export TEST_OUTPUT_DIR="$ROOT/test-output"

# e2e_run: the whole product as a user meets it. The API, the worker and the
# built SPA (vite preview) run as in `make dev`, against this run's
# PostgreSQL, Temporal and mail catcher, with the LLM and TikTok simulators;
# Playwright drives Debian's Chromium through web/e2e/run.mjs (E2E=0 skips
# it), then fuzz_run hits the same API with Schemathesis (FUZZ=0 skips it).
e2e_run() {
  local bin=${CARGO_TARGET_DIR:-target}/debug dir=$RUN_DIR/e2e
  cargo build -q -p api -p activities -p testkit --bins
  mkdir -p "$dir"
  pg_ensure_database "$PG_PORT" reelpilot_e2e
  local api_port web_port llm_port tiktok_port media_port metrics_port sdk_metrics_port
  api_port=$(free_port) web_port=$(free_port) llm_port=$(free_port) tiktok_port=$(free_port) media_port=$(free_port)
  metrics_port=$(free_port) sdk_metrics_port=$(free_port)
  (
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/reelpilot_e2e?sslmode=disable"
    export TEMPORAL_ADDRESS=$TEST_TEMPORAL_ADDRESS TEMPORAL_UI_URL=$TEST_TEMPORAL_UI_URL TEMPORAL_TASK_QUEUE_PREFIX=e2e-
    export API_PORT=$api_port PUBLIC_WEB_URL="http://127.0.0.1:$web_port" SMTP_URL=$TEST_SMTP_URL
    export STORAGE_LOCAL_DIR=$dir/storage SECRETS_DIR=$dir/secrets RENDER_WORK_DIR=$dir/render
    export IMPORT_WORK_DIR=$dir/imports YT_DLP=$VENV/bin/yt-dlp WHISPER_MODEL=$WHISPER_MODEL
    export EMBEDDING_MODEL_DIR=$TEST_EMBEDDING_MODEL_DIR ONNXRUNTIME_LIB=$TEST_ONNXRUNTIME_LIB
    # The local video site is the one private address imports may reach.
    export IMPORT_ALLOW_ADDRESSES="127.0.0.1:$media_port"
    export WORKER_METRICS_ADDR="127.0.0.1:$metrics_port" TEMPORAL_SDK_METRICS_ADDR="127.0.0.1:$sdk_metrics_port"
    export TTS_VOICE=espeak LOG_FORMAT=json PUBLISH_STATUS_POLL_SECS=1 POST_ID_POLL_SECS=1 TIKTOK_SIM_MODERATION_SECS=2
    export LLM_BASE_URL="http://127.0.0.1:$llm_port/v1" LLM_MODEL=sim/planner
    export TIKTOK_CLIENT_KEY=reelpilot-e2e TIKTOK_CLIENT_SECRET=e2e-client-secret-0123456789
    export TIKTOK_SIM_CLIENT_KEY=$TIKTOK_CLIENT_KEY TIKTOK_SIM_CLIENT_SECRET=$TIKTOK_CLIENT_SECRET
    export TIKTOK_API_BASE="http://127.0.0.1:$tiktok_port" TIKTOK_AUTH_URL="http://127.0.0.1:$tiktok_port/v2/auth/authorize/"
    pids=()
    trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
    "$bin/reelpilot-llm-sim" "127.0.0.1:$llm_port" >"$dir/llm.log" 2>&1 & pids+=($!)
    "$bin/reelpilot-tiktok-sim" "127.0.0.1:$tiktok_port" >"$dir/tiktok.log" 2>&1 & pids+=($!)
    "$bin/reelpilot-media-sim" "127.0.0.1:$media_port" >"$dir/media.log" 2>&1 & pids+=($!)
    "$bin/reelpilot-api" migrate >"$dir/migrate.log" 2>&1
    "$bin/reelpilot-worker" >"$dir/worker.log" 2>&1 & pids+=($!)
    "$bin/reelpilot-api" serve >"$dir/api.log" 2>&1 & pids+=($!)
    wait_until_up "http://127.0.0.1:$api_port/readyz" "${pids[-1]}" "$dir/api.log" "the API"
    if [ "${E2E:-1}" != 0 ]; then
      (cd web && API_PORT=$api_port exec node_modules/.bin/vite preview --host 127.0.0.1 --port "$web_port" --strictPort) \
        >"$dir/web.log" 2>&1 & pids+=($!)
      wait_until_up "http://127.0.0.1:$web_port/" "${pids[-1]}" "$dir/web.log" "the web app"
      log "browser tests against http://127.0.0.1:$web_port (screenshots in test-output/e2e)"
      E2E_BASE_URL="http://127.0.0.1:$web_port" E2E_MAIL_API_URL=$TEST_MAIL_API_URL E2E_TIKTOK_URL=$TIKTOK_API_BASE \
        E2E_MEDIA_URL="http://127.0.0.1:$media_port" E2E_OUTPUT_DIR="$TEST_OUTPUT_DIR/e2e" node web/e2e/run.mjs
      # The worker's metrics saw that flow: ours and the Temporal SDK's.
      curl -sf "http://$WORKER_METRICS_ADDR/metrics" >"$dir/worker-metrics.txt"
      curl -sf "http://$TEMPORAL_SDK_METRICS_ADDR/metrics" >"$dir/sdk-metrics.txt"
      grep -q 'reelpilot_renders_total{outcome="rendered"} 1' "$dir/worker-metrics.txt" ||
        die "the worker's metrics miss the render: $(grep renders "$dir/worker-metrics.txt")"
      grep -q '^temporal_activity_execution_latency_count' "$dir/sdk-metrics.txt" ||
        die "the SDK's metrics miss activity latencies: $(grep -o '^temporal_[a-z_]*' "$dir/sdk-metrics.txt" | sort -u | head -20)"
      log "worker and Temporal SDK metrics recorded the flow"
    fi
    if [ "${FUZZ:-1}" != 0 ]; then
      fuzz_run "http://127.0.0.1:$api_port"
    fi
  )
}

# fuzz_run API_URL: Schemathesis over the committed docs/openapi.json against
# the running API, as a signed-in owner whose org, project, 90-slot plan and
# slots the requests name, then with unknown ids in that org (scripts/fuzz/).
# Any 5xx, any answer the document does not describe, or a 2xx for an id that
# names nothing fails the run; the reports are in test-output/fuzz.
fuzz_run() {
  local out=$TEST_OUTPUT_DIR/fuzz
  rm -rf "$out"
  log "fuzzing $1 with Schemathesis $SCHEMATHESIS_VERSION (report in test-output/fuzz)"
  "$VENV/bin/python" scripts/fuzz/run.py --api "$1" --mail-api "$TEST_MAIL_API_URL" --out "$out" ||
    die "Schemathesis found responses that break docs/openapi.json (see above and test-output/fuzz)"
}
mkdir -p "$TEST_OUTPUT_DIR"

if [ "${1:-}" = bench ]; then
  # Benchmarks print their figures; the dev profile shares the test build.
  cargo bench --profile dev -p api --bench plan_overhead
  cargo bench --profile dev -p api --bench retrieval
  cargo bench --profile dev -p activities --bench render
  cargo bench --profile dev -p asr --bench asr
  # The offline default model's row of docs/OFFLINE_MODELS.md (a day of
  # drafting; `make eval-models` measures every candidate).
  MODELS=smollm2-135m DAYS=1 "$ROOT/scripts/bench/offline_models.sh"
  exit 0
fi

# E2E_ONLY=1 skips straight to the browser tests and the fuzzer; E2E=0
# skips the browser tests, FUZZ=0 the fuzzer (E2E_ONLY=1 E2E=0: fuzz only).
if [ -z "${E2E_ONLY:-}" ]; then
  if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast ${NEXTEST_ARGS:-}
  else
    cargo test --workspace --no-fail-fast
  fi
  log "running web tests"
  (cd web && npm test --silent)
fi
(cd web && npm run --silent build >/dev/null)

if [ "${E2E:-1}" != 0 ] || [ "${FUZZ:-1}" != 0 ]; then
  e2e_run
fi
log "all tests passed"
