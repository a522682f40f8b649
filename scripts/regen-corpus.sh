#!/usr/bin/env bash
# Regenerate testdata/corpus/ with the Helm fetched by scripts/fetch-tools.sh.
# testdata/corpus/README.md names each file's chart, version and values; this script is
# that table as commands, so the two must change together.
#
#   scripts/regen-corpus.sh                 the Istio charts, from an istio/istio checkout
#                                           (ISTIO_SRC, default ../istio) — no network
#   scripts/regen-corpus.sh --remote        also the charts from public chart repositories
#                                           (podinfo, argo-cd, kube-prometheus-stack) and the
#                                           Gateway API CRD: needs the network
#
# Then read `git diff --stat testdata/corpus`: a test that changes with the corpus is a
# change of behaviour to review, not noise. Helm state lives in a throwaway directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${EASTWEST_TOOLS:-$ROOT/.tools}
OUT=$ROOT/testdata/corpus
ISTIO_SRC=${ISTIO_SRC:-$ROOT/../istio}
REMOTE=0
[ "${1:-}" = "--remote" ] && REMOTE=1

bash "$ROOT/scripts/fetch-tools.sh" >/dev/null
HELM4=$TOOLS/bin/helm4
HELM3=$TOOLS/bin/helm3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HELM_DATA_HOME=$work/data HELM_CONFIG_HOME=$work/config HELM_CACHE_HOME=$work/cache
unset HELM_PLUGINS

CHARTS=$ISTIO_SRC/manifests/charts
[ -d "$CHARTS/istio-control/istio-discovery" ] ||
  { echo "regen-corpus: no Istio charts under $CHARTS (set ISTIO_SRC to an istio/istio checkout)" >&2; exit 1; }

# render FILE HELM-TEMPLATE-ARGS...: one file, written whole or not at all.
render() {
  local file=$1
  shift
  "$HELM4" template "$@" >"$work/out.yaml"
  mv "$work/out.yaml" "$OUT/$file"
  printf 'testdata/corpus/%s: %s bytes\n' "$file" "$(wc -c <"$OUT/$file")"
}

render istio-base.yaml istio-base "$CHARTS/base" -n istio-system
render istiod.yaml istiod "$CHARTS/istio-control/istio-discovery" -n istio-system
render istiod-ambient.yaml istiod "$CHARTS/istio-control/istio-discovery" -n istio-system --set profile=ambient
render gateway.yaml istio-ingressgateway "$CHARTS/gateway" -n istio-ingress
render gateway-eastwest-us.yaml istio-eastwestgateway "$CHARTS/gateway" -n istio-system \
  --set networkGateway=us-net --set labels.istio=eastwestgateway
render ztunnel.yaml ztunnel "$CHARTS/ztunnel" -n istio-system
render istio-cni.yaml istio-cni "$CHARTS/istio-cni" -n istio-system --set profile=ambient

# What a post-renderer receives: a pass-through stand-in for eastwest copies its stdin.
cat >"$work/capture" <<'EOF'
#!/bin/sh
exec tee "$CAPTURE_FILE"
EOF
chmod +x "$work/capture"
export EASTWEST_BIN=$work/capture
CAPTURE_FILE=$OUT/postrender-input-helm3-istiod.yaml "$HELM3" template istiod \
  "$CHARTS/istio-control/istio-discovery" -n istio-system --post-renderer "$work/capture" >/dev/null
"$HELM4" plugin install "$ROOT" >/dev/null
CAPTURE_FILE=$OUT/postrender-input-helm4-istiod.yaml "$HELM4" template istiod \
  "$CHARTS/istio-control/istio-discovery" -n istio-system --post-renderer eastwest >/dev/null
echo "testdata/corpus/postrender-input-helm{3,4}-istiod.yaml captured"

[ "$REMOTE" = 1 ] || exit 0

"$HELM4" repo add podinfo https://stefanprodan.github.io/podinfo >/dev/null
"$HELM4" repo add argo https://argoproj.github.io/argo-helm >/dev/null
"$HELM4" repo add prometheus-community https://prometheus-community.github.io/helm-charts >/dev/null
"$HELM4" repo update >/dev/null
render podinfo.yaml podinfo podinfo/podinfo --version 6.14.1 -n apps
render kube-prometheus-stack.yaml kps prometheus-community/kube-prometheus-stack --version 88.5.3 -n monitoring
render kube-prometheus-stack-crds.yaml kps prometheus-community/kube-prometheus-stack --version 88.5.3 \
  -n monitoring --include-crds
# argo-cd without its redis-ha dependency (its templates need a cluster lookup).
"$HELM4" pull argo/argo-cd --version 10.1.1 --untar -d "$work/argo" >/dev/null
rm -rf "$work/argo/argo-cd/charts/redis-ha"
sed -i '/^dependencies:/,$d' "$work/argo/argo-cd/Chart.yaml"
render argo-cd.yaml argocd "$work/argo/argo-cd" -n argocd --include-crds
# The Gateway API standard Gateway CRD, from the gateway-api main branch.
GATEWAY_API_SRC=${GATEWAY_API_SRC:-$ROOT/../gateway-api}
cp "$GATEWAY_API_SRC/config/crd/standard/gateway.networking.k8s.io_gateways.yaml" \
  "$OUT/crd-gateway-api-gateways.yaml"
