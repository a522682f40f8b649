#!/bin/sh
# Entry point of the Helm 4 post-renderer plugin (see plugin.yaml at the repo root).
#
# Helm 4 runs this with the rendered manifests on stdin, expects the result on stdout and
# appends `--post-renderer-args` values as arguments, which we pass straight on, e.g.
#   helm install istiod chart --post-renderer eastwest --post-renderer-args --config=mesh.yaml
#
# Which eastwest binary runs, first match wins:
#   1. $EASTWEST_BIN
#   2. <plugin>/bin/eastwest (the archive `make dist` builds)
#   3. <checkout>/target/release/eastwest (after `cargo build --release`)
#   4. <checkout>/target/debug/eastwest
#   5. eastwest on PATH
#
# Helm 4 discards a post-renderer's stderr and prints only `plugin "eastwest" exited with
# error`, so a missing binary is also reported via exit status 127.
set -eu

# `helm plugin install <checkout>` symlinks the checkout into the plugins folder, and Helm
# sets HELM_PLUGIN_DIR to that symlink; walking it with `cd -P` still lands in the checkout.
if [ -n "${HELM_PLUGIN_DIR:-}" ]; then
  root=$(cd -P "$HELM_PLUGIN_DIR" && pwd)
else
  root=$(cd -P "$(dirname "$0")/.." && pwd)
fi

if [ -n "${EASTWEST_BIN:-}" ]; then
  bin=$EASTWEST_BIN
elif [ -x "$root/bin/eastwest" ]; then
  bin=$root/bin/eastwest
elif [ -x "$root/target/release/eastwest" ]; then
  bin=$root/target/release/eastwest
elif [ -x "$root/target/debug/eastwest" ]; then
  bin=$root/target/debug/eastwest
elif command -v eastwest >/dev/null 2>&1; then
  bin=$(command -v eastwest)
else
  echo "eastwest helm plugin: no eastwest binary; run 'cargo build --release' in $root or set EASTWEST_BIN" >&2
  exit 127
fi

exec "$bin" "$@"
