#!/usr/bin/env bash
# Regenerate testdata/e2e/*-input.yaml: the exact bytes each real client hands to eastwest.
#
#   helm4-istiod-mini-input.yaml   Helm 4 postrenderer/v1 plugin (this checkout's plugin.yaml)
#   helm3-istiod-mini-input.yaml   Helm 3 `--post-renderer <executable>`
#   kustomize-legacy-input.yaml    `kubectl kustomize --enable-alpha-plugins`, legacy exec plugin
#
# The eastwest binary is replaced by a pass-through stand-in (EASTWEST_BIN) that copies its
# stdin to a file, so the captures do not depend on eastwest itself. Clients come from
# scripts/fetch-tools.sh. Helm state lives in a throwaway directory: never in ~/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${EASTWEST_TOOLS:-$ROOT/.tools}
OUT=$ROOT/testdata/e2e
"$ROOT/scripts/fetch-tools.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Pass-through stand-in: ignore arguments, copy stdin to $CAPTURE_FILE and to stdout.
cat >"$work/capture" <<'EOF'
#!/bin/sh
exec tee "$CAPTURE_FILE"
EOF
chmod +x "$work/capture"
export EASTWEST_BIN=$work/capture

# Helm 4 and Helm 3 each get their own data/config/cache homes: Helm 3 cannot parse the
# Helm 4 plugin.yaml and complains on every command if it finds it in its plugins folder.
helm_homes() {
  export HELM_DATA_HOME=$work/$1/data HELM_CONFIG_HOME=$work/$1/config HELM_CACHE_HOME=$work/$1/cache
  unset HELM_PLUGINS
}

(
  helm_homes helm4
  # `plugin install <dir>` validates plugin.yaml and symlinks the checkout into
  # $HELM_DATA_HOME/plugins (it ignores HELM_PLUGINS).
  "$TOOLS/bin/helm4" plugin install "$ROOT" >/dev/null
  CAPTURE_FILE=$OUT/helm4-istiod-mini-input.yaml "$TOOLS/bin/helm4" template istiod \
    "$ROOT/testdata/charts/istiod-mini" -n istio-system --post-renderer eastwest >/dev/null
)

(
  helm_homes helm3
  # Helm 3 runs an executable directly; the plugin wrapper works without HELM_PLUGIN_DIR.
  CAPTURE_FILE=$OUT/helm3-istiod-mini-input.yaml "$TOOLS/bin/helm3" template istiod \
    "$ROOT/testdata/charts/istiod-mini" -n istio-system \
    --post-renderer "$ROOT/scripts/helm-plugin-run.sh" >/dev/null
)

(
  export KUSTOMIZE_PLUGIN_HOME=$ROOT/functions/plugins
  CAPTURE_FILE=$OUT/kustomize-legacy-input.yaml "$TOOLS/bin/kubectl" kustomize \
    --enable-alpha-plugins "$ROOT/kustomization-examples/legacy-plugin" >/dev/null
)

for f in helm4-istiod-mini-input.yaml helm3-istiod-mini-input.yaml kustomize-legacy-input.yaml; do
  printf '%s: %s bytes\n' "testdata/e2e/$f" "$(wc -c <"$OUT/$f")"
done
