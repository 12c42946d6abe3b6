#!/usr/bin/env bash
# `make seed`: demo data in the database of a running `make dev`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -f .env ] && { set -a; source .env; set +a; }
PG_PORT=${PG_PORT:-54329}
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:$PG_PORT/reelpilot?sslmode=disable}
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-http://127.0.0.1:$TEMPORAL_PORT}
export STORAGE_LOCAL_DIR=${STORAGE_LOCAL_DIR:-$STATE_DIR/dev/storage}
export SECRETS_DIR=${SECRETS_DIR:-$STATE_DIR/dev/secrets}
export TEMPORAL_CONNECT_TIMEOUT_SECS=${TEMPORAL_CONNECT_TIMEOUT_SECS:-3}
cargo run -q -p api --bin reelpilot-api -- migrate
cargo run -q -p api --bin reelpilot-api -- seed
