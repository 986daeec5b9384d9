# Resonance — the two set-up commands (`make demo`, `make test`) plus benchmarks and documentation.
# Every target installs the system packages it needs first (Scripts/install-deps.sh is idempotent).

SWIFT ?= swift
LINT_PATHS := Package.swift Sources Tests Examples Benchmarks Fuzz

.PHONY: deps build test lint format demo bench docs clean fuzz sanitize

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

# libFuzzer targets (Fuzz/README.md): FUZZ_SECONDS per target (default 60), own build in .build-fuzz.
fuzz: deps
	@Scripts/fuzz.sh

# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the concurrent suites under
# ThreadSanitizer (Scripts/sanitizers.sh; own builds in .build-asan and .build-tsan).
sanitize: deps
	@Scripts/sanitizers.sh

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan
