#!/usr/bin/env bash
# Build the Helm 4 plugin archive: plugin.yaml, the wrapper and the release binary, packed by
# Helm 4's own `helm plugin package`, so `helm plugin install dist/eastwest-VERSION.tgz`
# works on a machine with neither Rust nor this checkout.
#
#   make dist                                   unsigned (install it with --verify=false)
#   make dist SIGN_KEY='Name <mail>'            signed with that gpg key: writes the .prov too
#     KEYRING=FILE          the secret keyring holding it (Helm reads the legacy format:
#                           gpg --export-secret-keys > FILE); default ~/.gnupg/secring.gpg
#     PASSPHRASE_FILE=FILE  when the key has a passphrase
#
# Environment: HELM (default: the Helm 4 from make tools), DIST (default: dist/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${EASTWEST_TOOLS:-$ROOT/.tools}
HELM=${HELM:-$TOOLS/bin/helm4}
DIST=${DIST:-$ROOT/dist}
BIN=${EASTWEST_RELEASE_BIN:-$ROOT/target/release/eastwest}

die() { echo "dist: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no release binary at $BIN: run cargo build --release (make dist does)"
[ -x "$HELM" ] || die "no Helm 4 at $HELM: run make tools"

# plugin.yaml and Cargo.toml must agree on the version the archive is named after.
plugin_version=$(sed -n 's/^version: *//p' "$ROOT/plugin.yaml")
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)
[ "$plugin_version" = "$cargo_version" ] ||
  die "plugin.yaml version $plugin_version differs from Cargo.toml version $cargo_version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/eastwest
mkdir -p "$stage/bin" "$stage/scripts"
cp "$ROOT/plugin.yaml" "$stage/"
cp "$ROOT/scripts/helm-plugin-run.sh" "$stage/scripts/"
cp "$BIN" "$stage/bin/eastwest"
chmod 755 "$stage/scripts/helm-plugin-run.sh" "$stage/bin/eastwest"

mkdir -p "$DIST"
if [ -n "${SIGN_KEY:-}" ]; then
  args=(--sign --key "$SIGN_KEY" --keyring "${KEYRING:-$HOME/.gnupg/secring.gpg}")
  [ -n "${PASSPHRASE_FILE:-}" ] && args+=(--passphrase-file "$PASSPHRASE_FILE")
else
  args=(--sign=false)
fi
"$HELM" plugin package "$stage" -d "$DIST" "${args[@]}" >&2
archive=$DIST/eastwest-$plugin_version.tgz
[ -f "$archive" ] || die "helm plugin package did not write $archive"
echo "$archive"
[ -n "${SIGN_KEY:-}" ] && echo "$archive.prov"
exit 0
