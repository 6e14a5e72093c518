# mailbridge — build, test and benchmark targets. `make help` lists them.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 15s

.PHONY: help test test-go fuzz lint bench build deps

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

deps: ## install what the tests need (Debian packages, npm packages) when missing
	@scripts/test-deps.sh

build: ## build bin/mailbridge
	$(GO) build -o bin/mailbridge ./cmd/mailbridge

test: ## every test: vet, unit and integration tests with -race (SQLite and PostgreSQL), real-client suites, browser end to end, fuzzing
	@start=$$(date +%s); \
	if $(MAKE) --no-print-directory deps lint test-go fuzz; then \
	  echo "make test: all suites passed in $$(( $$(date +%s) - start ))s"; \
	else \
	  echo "make test: FAILED after $$(( $$(date +%s) - start ))s"; exit 1; \
	fi

# EWSJS_DIR lets internal/autodiscover's ews-javascript-api test use the npm packages of
# the real-client suite (test/clients, run by go test like every other package).
# PostgreSQL tests (internal/pgtest) get a throwaway server from scripts/test-postgres.sh,
# stopped afterwards whatever the outcome, or the caller's MAILBRIDGE_TEST_POSTGRES_URL;
# MAILBRIDGE_REQUIRE_POSTGRES=1 makes them fail rather than skip without one.
test-go:
	@export MAILBRIDGE_REQUIRE_POSTGRES=1; \
	gotest() { \
	  echo "EWSJS_DIR=$(CURDIR)/test/clients/js $(GO) test -race -count=1 ./..."; \
	  EWSJS_DIR=$(CURDIR)/test/clients/js $(GO) test -race -count=1 ./...; \
	}; \
	if [ -n "$${MAILBRIDGE_TEST_POSTGRES_URL:-}" ]; then \
	  echo "test-go: PostgreSQL at MAILBRIDGE_TEST_POSTGRES_URL (not started here)"; \
	  gotest; \
	else \
	  state=$$(mktemp) || exit; \
	  trap '$(CURDIR)/scripts/test-postgres.sh stop "$$state"; rm -f "$$state"' EXIT; \
	  trap 'exit 130' INT; trap 'exit 143' TERM; \
	  url=$$($(CURDIR)/scripts/test-postgres.sh start "$$state") || exit; \
	  echo "test-go: started PostgreSQL at $$url"; \
	  export MAILBRIDGE_TEST_POSTGRES_URL=$$url; \
	  gotest; \
	fi

fuzz: ## run each fuzz target for a short fixed time
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./internal/ews
	$(GO) test -run '^$$' -fuzz '^FuzzFastDecode$$' -fuzztime $(FUZZTIME) ./internal/ews
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePOXRequest$$' -fuzztime 5s ./internal/autodiscover
	$(GO) test -run '^$$' -fuzz '^FuzzNTLMAuthenticate$$' -fuzztime 5s ./internal/httpauth

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

bench: ## benchmarks (numbers are reported in README.md)
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./internal/exchangesim/ ./internal/ews/...
	$(GO) test -run '^$$' -bench . -benchmem ./internal/checker/ ./internal/httpauth/ ./internal/autodiscover/...
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/syncer/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./test/bench/
