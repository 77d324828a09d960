# Rastro: two commands do everything on a fresh Debian machine with the Swift toolchain.
#   make run    installs what is missing, builds, and starts the main job over a demo data directory
#   make test   installs what is missing, then runs the whole test suite

SWIFT        ?= swift
APT_PACKAGES := liblmdb-dev libzstd-dev pkg-config
DEMO_DATA    ?= demo-data
SAMPLE       := data/sample-scans.csv
RELEASE_BIN  := .build/release

.PHONY: deps build test run demo clean bench-micro

## deps: install the system libraries Rastro links (LMDB, zstd) with apt-get, only when missing.
deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: release build of rastro.
build: deps
	$(SWIFT) build -c release

## test: the whole test suite.
test: deps
	$(SWIFT) test

## run: the main job — import the sample into a demo data directory, then summarise it and trace one item.
run: build
	@rm -rf $(DEMO_DATA) $(DEMO_DATA)-rejects.csv
	$(RELEASE_BIN)/rastro init --data $(DEMO_DATA) --reasons standard
	$(RELEASE_BIN)/rastro import $(SAMPLE) --data $(DEMO_DATA) --rejects $(DEMO_DATA)-rejects.csv
	$(RELEASE_BIN)/rastro info --data $(DEMO_DATA) --format table
	$(RELEASE_BIN)/rastro trace $$(sed -n '2p' $(SAMPLE) | cut -d, -f1) --data $(DEMO_DATA) --format table

## bench-micro: the package-benchmark suites (a nested package, so `make test` never compiles them).
bench-micro: deps
	cd Benchmarks && $(SWIFT) package benchmark

clean:
	rm -rf .build $(DEMO_DATA) $(DEMO_DATA)-rejects.csv
