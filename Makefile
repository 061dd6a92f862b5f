# Triplicate: the two commands a fresh Debian/Ubuntu machine with a Swift 6 toolchain needs.
#   make demo  - install the C libraries, build, back up a generated photo set, restore and verify it
#   make test  - install what the tests need and run them
#   make fuzz  - run every decoder of repository bytes under libFuzzer (FUZZ_SECONDS each, default 120)

SWIFT      ?= swift
DEMO_DIR   ?= $(CURDIR)/demo-output
DEMO_SIZE  ?= 64MB
APT_PKGS    = libzstd-dev libb2-dev libssl-dev libsqlite3-dev pkg-config
TEST_PKGS   = zstd dosfstools fusefat util-linux chromium
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release deps test-deps test demo compare compare-cloud compare-prune bench-s3 fuzz api-check docs clean

all: build

# Install the -dev packages only when one is missing (dpkg -s is cheap; apt-get update is not).
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

test-deps: deps
	@missing=""; for p in $(TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v moto_server >/dev/null 2>&1 || python3 -m pip install -q 'moto[server]' 

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The tests run the debug `triplicate` binary, so build everything first. The S3 destination's tests use one
# moto_server on a free 127.0.0.1 port, started here and stopped afterwards; under CI=true a skipped test fails the run
# (scripts/run-tests.sh). Then the release build: the optimizer has crashed on code the debug build accepts, and has
# miscompiled code the debug build runs correctly, so the commands that read and repair repositories run once with the
# release binary (scripts/release-smoke.sh). Last, the public API is checked from a package outside this one (api-check),
# and the documentation is built with warnings as errors, so that a renamed symbol cannot leave a dead link.
test: test-deps
	$(SWIFT) build --build-tests
	scripts/run-tests.sh scripts/with-s3-server.sh $(SWIFT) test --skip-build
	$(SWIFT) build -c release
	scripts/release-smoke.sh .build/release/triplicate
	SWIFT=$(SWIFT) scripts/api-check.sh
	$(MAKE) docs

# A package outside this one that depends on the Triplicate product: the README's examples compile there, and the
# keys and the format's internals cannot be reached (scripts/api-check.sh).
api-check: deps
	SWIFT=$(SWIFT) scripts/api-check.sh

# The library's documentation (DocC: the API and the getting-started article) as a static site in .build/docs.
docs: deps
	$(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target Triplicate \
		--output-path .build/docs --transform-for-static-hosting --warnings-as-errors
	@echo "documentation in .build/docs (open .build/docs/documentation/triplicate/index.html through a web server)"

demo: release
	@rm -rf "$(DEMO_DIR)" && mkdir -p "$(DEMO_DIR)"
	@echo "== generating a $(DEMO_SIZE) photo set in $(DEMO_DIR)/Photos"
	.build/release/triplicate-photoset generate "$(DEMO_DIR)/Photos" --size $(DEMO_SIZE) --seed 1
	@sleep 1.2  # files changed within a second of a backup are read again by the next one (racy timestamps)
	@echo "== creating a repository in $(DEMO_DIR)/repo"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate init --repo "$(DEMO_DIR)/repo"
	@echo "== first backup"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate backup "$(DEMO_DIR)/Photos" --repo "$(DEMO_DIR)/repo"
	@echo "== a working day: new import, develop edits, sidecars, DNG metadata, a renamed folder, deletions"
	.build/release/triplicate-photoset edit "$(DEMO_DIR)/Photos" --session 1 --seed 1
	@sleep 1.2
	@echo "== second backup"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate backup "$(DEMO_DIR)/Photos" --repo "$(DEMO_DIR)/repo"
	@echo "== restore the latest snapshot and compare it with the originals"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate restore latest --target "$(DEMO_DIR)/restored" --repo "$(DEMO_DIR)/repo"
	diff -r "$(DEMO_DIR)/Photos" "$(DEMO_DIR)/restored/Photos" && echo "restored files are identical to the originals"
	@echo "== verify every byte of the repository"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate check --read-data --repo "$(DEMO_DIR)/repo"
	@echo "== what was stored"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate snapshots --repo "$(DEMO_DIR)/repo"
	TRIPLICATE_PASSWORD=demo-password .build/release/triplicate stats --repo "$(DEMO_DIR)/repo"

# Side by side with restic and borg (Debian's packages) on a generated photo set; prints a table.
compare: release
	@missing=""; for p in restic borgbackup time; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	python3 scripts/compare.py

# The same, then backup and restore side by side with restic against an S3 server (moto_server) on loopback, through a
# proxy that adds latency and caps bandwidth (scripts/shape-proxy.py): 0 ms, 40 ms RTT, 40 ms RTT at 100 Mbit/s.
compare-cloud: release
	@missing=""; for p in restic borgbackup time; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	@command -v moto_server >/dev/null 2>&1 || python3 -m pip install -q 'moto[server]'
	python3 scripts/compare.py --cloud

# forget --prune side by side with restic and borg on 50 snapshots of random data; prints a table.
compare-prune: release
	@missing=""; for p in restic borgbackup time; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	python3 scripts/compare-prune.py

# Upload and download throughput of the S3 destination against a moto_server on loopback (Benchmarks/RemoteBenchmarks).
bench-s3: test-deps
	cd Benchmarks && ../scripts/with-s3-server.sh $(SWIFT) package --allow-writing-to-package-directory benchmark --target RemoteBenchmarks

# libFuzzer with AddressSanitizer over every decoder of repository bytes (Sources/TriplicateFuzzing), FUZZ_SECONDS each,
# starting from the kept corpus in Fuzz/corpus. A single allocation over 256 MB counts as a finding, like a crash or a
# hang; findings go to .build-fuzz/artifacts. New interesting inputs stay in .build-fuzz/corpus (copy the ones worth
# keeping into Fuzz/corpus: make test replays them).
FUZZ_SECONDS ?= 120
FUZZ_TARGETS  = key-file config sealed-file index pack-table blob listing snapshot damage-record verification-record removal-record
fuzz: deps
	$(SWIFT) build -c release --scratch-path .build-fuzz --product triplicate-fuzz \
		-Xswiftc -sanitize=fuzzer,address -Xswiftc -DTRIPLICATE_LIBFUZZER
	@mkdir -p .build-fuzz/artifacts
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p .build-fuzz/corpus/$$t; \
		echo "== $$t: $(FUZZ_SECONDS) s"; \
		SWIFT_BACKTRACE=enable=no TRIPLICATE_FUZZ_TARGET=$$t .build-fuzz/release/triplicate-fuzz .build-fuzz/corpus/$$t Fuzz/corpus/$$t \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048 -max_len=65536 \
			-artifact_prefix=.build-fuzz/artifacts/$$t- -print_final_stats=1 2>&1 | grep -E '^(#[0-9]+ +DONE|Done|stat::(number_of_executed_units|new_units_added|peak_rss_mb))|ERROR|SUMMARY' \
			|| true; \
		if ls .build-fuzz/artifacts/$$t-* >/dev/null 2>&1; then echo "$$t: FOUND, see .build-fuzz/artifacts"; exit 1; fi; \
	done

clean:
	rm -rf .build "$(DEMO_DIR)"
