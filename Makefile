# Resonance — the two set-up commands (`make demo`, `make test`) plus benchmarks and documentation.
# Every target installs the system packages it needs first (Scripts/install-deps.sh is idempotent).

SWIFT ?= swift
LINT_PATHS := Package.swift Sources Tests Examples Benchmarks

.PHONY: deps build test lint format demo bench docs clean

deps:
	@Scripts/install-deps.sh

build: deps
	$(SWIFT) build --build-tests

lint:
	$(SWIFT) format lint --strict --recursive $(LINT_PATHS)

format:
	$(SWIFT) format --in-place --recursive $(LINT_PATHS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) format lint --strict --recursive $(LINT_PATHS)
	@# Tests write their scratch files under a private TMPDIR that is removed afterwards, pass or fail.
	@scratch="$$(mktemp -d -t resonance-tests.XXXXXX)"; \
	TMPDIR="$$scratch" $(SWIFT) test --skip-build; status=$$?; rm -rf "$$scratch"; exit $$status

demo: deps
	@Scripts/demo.sh

bench: deps
	@Scripts/bench.sh

docs: deps
	@Scripts/docs.sh

clean:
	rm -rf .build
