# Rastro: two commands do everything on a fresh Debian machine with the Swift toolchain.
#   make run    installs what is missing, builds, and starts the main job over a demo data directory
#   make test   installs what is missing, then runs the whole test suite

SWIFT        ?= swift
APT_PACKAGES := liblmdb-dev libzstd-dev pkg-config openssl
DEMO_DATA    ?= demo-data
SAMPLE       := data/sample-scans.csv
DEMO_TOKEN   ?= demo-token
RELEASE_BIN  := .build/release

# Installs the Debian packages of $(1) that are missing (with sudo unless root).
define apt_install
missing=""; \
for package in $(1); do \
  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
done; \
if [ -n "$$missing" ]; then \
  echo "installing:$$missing"; \
  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

.PHONY: deps build test test-fast test-browser test-api test-deps screenshot run demo clean fresh openapi bench bench-deps bench-readers bench-backup bench-inbox bench-fleet bench-micro bench-hostile fuzz fuzz-build fuzz-corpus

## deps: install the system libraries Rastro links (LMDB, zstd) with apt-get, only when missing.
deps:
	@$(call apt_install,$(APT_PACKAGES))

## build: release build of rastro.
build: deps
	$(SWIFT) build -c release

## test: the whole test suite (the executables first: the crash test runs rastrod as a process), the fuzz corpus,
##       the dashboard in headless Chromium and the read API against its OpenAPI document.
test: deps test-deps
	$(SWIFT) build
	$(SWIFT) test
	$(MAKE) fuzz-corpus
	$(MAKE) test-browser
	$(MAKE) test-api

## test-deps: Debian's chromium and chromium-driver, and selenium and schemathesis from PyPI, pinned, in a venv of
##            Debian's python3. hypothesis is pinned below the versions that parse a lambda's whole source file to
##            describe it: on Python 3.11 that trips CPython's "AST constructor recursion depth mismatch" now and then.
TEST_DIR     := .build-browser
TEST_PYTHON  := $(TEST_DIR)/venv/bin/python
TEST_APT     := chromium chromium-driver python3 python3-venv
TEST_PYPI    := selenium==4.51.0 schemathesis==4.32.5 hypothesis==6.130.12
test-deps:
	@$(call apt_install,$(TEST_APT))
	@test -x $(TEST_PYTHON) || /usr/bin/python3 -m venv $(TEST_DIR)/venv
	@test "$$(cat $(TEST_DIR)/venv/pinned 2>/dev/null)" = "$(TEST_PYPI)" \
	  || { $(TEST_PYTHON) -m pip install -q $(TEST_PYPI) && echo "$(TEST_PYPI)" > $(TEST_DIR)/venv/pinned; }

## test-browser: the dashboard and a `rastro report --html` file in headless Chromium (Tests/browser); the screenshot
##               goes to $(TEST_DIR)/dashboard.png (`make screenshot` puts it in docs/img for the README).
test-browser: test-deps
	$(SWIFT) build --product rastro
	$(SWIFT) build --product rastrod
	$(TEST_PYTHON) Tests/browser/dashboard_test.py .build/debug $(TEST_DIR)/dashboard.png

screenshot: test-deps
	$(SWIFT) build --product rastro
	$(SWIFT) build --product rastrod
	$(TEST_PYTHON) Tests/browser/dashboard_test.py .build/debug docs/img/dashboard.png

## test-api: schemathesis runs every route and parameter of docs' OpenAPI document against a running rastrod (Tests/api).
test-api: test-deps
	$(SWIFT) build --product rastro
	$(SWIFT) build --product rastrod
	$(TEST_PYTHON) Tests/api/schema_test.py .build/debug $(TEST_DIR)/venv/bin/schemathesis

## fuzz: coverage-guided fuzzing (libFuzzer and AddressSanitizer, from the Swift toolchain) of every parser of outside
## bytes, FUZZ_SECONDS each (Fuzz/, docs/security.md §8). New inputs that add coverage go to .build-fuzz/corpus;
## a finding leaves its input in .build-fuzz/ and stops: copy it to Fuzz/corpus/TARGET/regression-* with a test.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := csv frame batch hello timestamp coordinate traceblock cell sealed
FUZZ_BIN     := .build-fuzz/release/RastroFuzz
fuzz-build: deps
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer,address --build-path ../.build-fuzz

fuzz: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .build-fuzz/corpus/$$target; \
	  echo "fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  RASTRO_FUZZ_TARGET=$$target $(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/$$target- .build-fuzz/corpus/$$target Fuzz/corpus/$$target 2>&1 \
	    | grep -E "stat::(number_of_executed_units|average_exec_per_sec)|ERROR|crash" || exit 1; \
	done

## fuzz-corpus: every target over its committed corpus once (part of make test: the regressions never come back).
fuzz-corpus: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
	  RASTRO_FUZZ_TARGET=$$target $(FUZZ_BIN) -runs=0 Fuzz/corpus/$$target >/dev/null 2>.build-fuzz/$$target.log \
	    || { cat .build-fuzz/$$target.log; exit 1; }; \
	  echo "fuzz corpus $$target: $$(ls Fuzz/corpus/$$target | wc -l) inputs, no finding"; \
	done

## openapi: write docs/openapi.json from the routes' parameter specs (a test fails while it is stale).
openapi:
	$(SWIFT) build --product rastro
	.build/debug/rastro openapi > docs/openapi.json

## test-fast: the suite without the slow end-to-end runs (tagged `endToEnd`: the crash-recovery loop and the chaos
##            proxy), for the edit-test loop. `make test` runs everything.
SLOW_TESTS := CrashRecoveryTests|InboxCrashTests|severalConnectionsThroughDroppedConnections
test-fast: deps
	$(SWIFT) build
	$(SWIFT) test --skip '$(SLOW_TESTS)'

## run: the main job — a demo data directory with the sample loaded, a gateway token, and rastrod in the foreground
##      on 127.0.0.1 (binary 7400, CSV lines 7401, HTTP 7480). Ctrl-C stops it gracefully.
run: build
	@rm -rf $(DEMO_DATA) $(DEMO_DATA)-rejects.csv $(DEMO_TOKEN)
	$(RELEASE_BIN)/rastro init --data $(DEMO_DATA) --reasons standard
	$(RELEASE_BIN)/rastro import $(SAMPLE) --data $(DEMO_DATA) --rejects $(DEMO_DATA)-rejects.csv
	@$(RELEASE_BIN)/rastro token create --gateway demo --data $(DEMO_DATA) 2>/dev/null | awk '{print $$NF}' > $(DEMO_TOKEN)
	@chmod 600 $(DEMO_TOKEN)
	@echo
	@echo "demo gateway token (also in $(DEMO_TOKEN); a demo convenience — real tokens are shown once and never stored):"
	@echo "  $$(cat $(DEMO_TOKEN))"
	@echo "try, from another terminal:"
	@echo "  $(RELEASE_BIN)/rastro send data/sample-scans.csv --to 127.0.0.1:7400 --token \$$(cat $(DEMO_TOKEN))"
	@echo "  $(RELEASE_BIN)/rastro trace GU0001000161 --data $(DEMO_DATA)"
	@echo "dashboard: http://127.0.0.1:7480/ (sign in with the token above)"
	@echo
	$(RELEASE_BIN)/rastrod --data $(DEMO_DATA)

## bench: Rastro beside PostgreSQL, SQLite and DuckDB on one generated stream (SCANS=10000000 by default); writes the
##        table to docs/performance.md and fails if any answer differs (Benchmarks/peers/run.py).
SCANS        ?= 10000000
BENCH_DIR    := .build-bench
BENCH_PYTHON := $(BENCH_DIR)/venv/bin/python
BENCH_APT    := postgresql sqlite3 python3 python3-venv

bench: build bench-deps
	$(BENCH_PYTHON) Benchmarks/peers/run.py --scans $(SCANS)

## bench-deps: PostgreSQL and SQLite from Debian, DuckDB and psycopg from PyPI (in $(BENCH_DIR)/venv).
bench-deps:
	@$(call apt_install,$(BENCH_APT))
	@test -x $(BENCH_PYTHON) || python3 -m venv $(BENCH_DIR)/venv
	@$(BENCH_PYTHON) -c "import duckdb, psycopg" 2>/dev/null || $(BENCH_PYTHON) -m pip install -q duckdb "psycopg[binary]"

## bench-hostile: rastrod's resident memory under hostile clients (docs/security.md §7), on the release build.
bench-hostile: deps
	$(SWIFT) build -c release --product rastro
	$(SWIFT) build -c release --product rastrod
	python3 Benchmarks/hostile/run.py --rastro .build/release/rastro --rastrod .build/release/rastrod

## bench-readers: read API latency per route with 20 concurrent readers while `rastro send` streams into a 10 M-scan
##                store, and the stream's rate beside one without readers (docs/performance.md, "Reads while streaming").
bench-readers: build
	python3 Benchmarks/readers/run.py

## bench-backup: full, incremental, verify and restore at 10 M scans, plain and encrypted, beside a zstd of the export,
##               and the stream's rate while backups run (docs/performance.md, "Backups").
bench-backup: build
	@$(call apt_install,zstd)
	python3 Benchmarks/backup/run.py

## bench-inbox: a 10 M-scan file through rastrod --inbox against rastro import, and a handheld's ack latency while
##              the inbox loads it (docs/performance.md, "The watched inbox").
bench-inbox: build
	python3 Benchmarks/inbox/run.py

## bench-fleet: rastro fleet at 1,000 to 10,000 handhelds in batches of 20, the server's CPU per scan against one fat
##              stream's, and its memory per connection (docs/performance.md, "A fleet of handhelds").
bench-fleet: build
	python3 Benchmarks/fleet/run.py

## bench-micro: the package-benchmark suites (a nested package, so `make test` never compiles them).
bench-micro: deps
	cd Benchmarks && $(SWIFT) package benchmark

## fresh: recompiles Rastro's own modules (not the dependencies) in every build directory. SwiftPM's incremental
## build can keep a module compiled against a struct's old layout after a stored property is added to it
## (swiftlang/swift-package-manager#10502); what follows is memory corruption far from the change.
fresh:
	rm -rf .build/*/Rastro*.build .build/*/rastro*.build .build/*/Modules/Rastro*

clean:
	rm -rf .build $(DEMO_DATA) $(DEMO_DATA)-rejects.csv $(DEMO_TOKEN)
