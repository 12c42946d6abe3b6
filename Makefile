# Reelpilot. The two commands most people need: `make dev` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
COMPOSE ?= docker compose

.PHONY: help dev test bench eval-models lint format migrate seed up down logs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'

dev: ## install what is missing and run everything locally (Ctrl-C stops it)
	@scripts/dev.sh

test: ## install what is missing, start throwaway servers, run every test
	@scripts/test.sh

bench: ## orchestration benchmarks against throwaway servers (prints timings)
	@scripts/test.sh bench

eval-models: ## how well each offline model drafts (docs/OFFLINE_MODELS.md; downloads 1.6 GB once)
	@scripts/bench/offline_models.sh

lint: ## rustfmt check, clippy with warnings as errors, web lint
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	@if [ -f web/package.json ]; then cd web && npm run --silent lint; fi

format: ## format Rust and web sources
	cargo fmt --all
	@if [ -f web/package.json ]; then cd web && npm run --silent format; fi

migrate: ## apply migrations to DATABASE_URL (make dev does this itself)
	cargo run -q -p api --bin reelpilot-api -- migrate

seed: ## create the demo organisation, project and month plan (needs make dev running)
	@scripts/seed.sh

up: ## start the production-like stack with Docker Compose
	$(COMPOSE) up -d --build

down: ## stop the Docker Compose stack
	$(COMPOSE) down

logs: ## follow the Docker Compose logs
	$(COMPOSE) logs -f
