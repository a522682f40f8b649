#!/usr/bin/env bash
# End-to-end smoke test: run a built eastwest through the real clients.
#
#   1. Helm 4.1 postrenderer/v1 plugin (plugin.yaml of this checkout)
#   2. Helm 3.17 --post-renderer <executable>
#   3. kubectl kustomize --enable-alpha-plugins (legacy exec plugin under functions/plugins)
#
# Each check only asks: exit status 0, and the output names the local network (us-net) from
# testdata/e2e/mesh.yaml. Detailed output checks belong in the Rust tests.
# Binary: $EASTWEST_BIN, else target/release/eastwest (run `cargo build --release` first).
# Ends with a plain "N passed, N failed" line.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${EASTWEST_TOOLS:-$ROOT/.tools}
CONFIG=$ROOT/testdata/e2e/mesh.yaml
CHART=$ROOT/testdata/charts/istiod-mini

export EASTWEST_BIN=${EASTWEST_BIN:-$ROOT/target/release/eastwest}
if [ ! -x "$EASTWEST_BIN" ]; then
  echo "e2e-smoke: $EASTWEST_BIN not found; run 'cargo build --release' or set EASTWEST_BIN" >&2
  exit 2
fi
"$ROOT/scripts/fetch-tools.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# check NAME COMMAND... : run COMMAND, keep its output in $work/NAME.{out,err}.
check() {
  local name=$1
  shift
  if "$@" >"$work/$name.out" 2>"$work/$name.err" && grep -q 'us-net' "$work/$name.out"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/     /' "$work/$name.err" | head -20
    failed=$((failed + 1))
  fi
}

# Each Helm gets its own homes: Helm 3 cannot parse a Helm 4 plugin.yaml in its plugins dir.
helm4() {
  HELM_DATA_HOME=$work/h4/data HELM_CONFIG_HOME=$work/h4/config HELM_CACHE_HOME=$work/h4/cache \
    HELM_PLUGINS=$work/h4/data/plugins "$TOOLS/bin/helm4" "$@"
}
helm3() {
  HELM_DATA_HOME=$work/h3/data HELM_CONFIG_HOME=$work/h3/config HELM_CACHE_HOME=$work/h3/cache \
    HELM_PLUGINS=$work/h3/data/plugins "$TOOLS/bin/helm3" "$@"
}

helm4 plugin install "$ROOT" >/dev/null
# Helm 4 discards the plugin's stderr; on failure rerun eastwest by hand to see why.
check helm4-plugin helm4 template istiod "$CHART" -n istio-system \
  --post-renderer eastwest --post-renderer-args="--config=$CONFIG"
check helm3-exec helm3 template istiod "$CHART" -n istio-system \
  --post-renderer "$ROOT/scripts/helm-plugin-run.sh" --post-renderer-args="--config=$CONFIG"
check kustomize-legacy env KUSTOMIZE_PLUGIN_HOME="$ROOT/functions/plugins" \
  "$TOOLS/bin/kubectl" kustomize --enable-alpha-plugins "$ROOT/kustomization-examples/legacy-plugin"

echo "e2e-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
