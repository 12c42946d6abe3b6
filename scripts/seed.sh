#!/usr/bin/env bash
# `make seed`: demo data in the database of a running `make dev`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
dev_env
export TEMPORAL_CONNECT_TIMEOUT_SECS=${TEMPORAL_CONNECT_TIMEOUT_SECS:-3}
# The same build as make dev's, so seeding compiles nothing new.
cargo build -q --workspace --bins --tests
BIN=${CARGO_TARGET_DIR:-target}/debug
"$BIN/reelpilot-api" migrate
"$BIN/reelpilot-api" seed
