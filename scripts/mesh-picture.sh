#!/usr/bin/env bash
# The README's picture of the seed scenario (US and EU, training-mesh, corp.local), made by
# the project's own command: eastwest graph --format dot, laid out by Graphviz.
#   bash scripts/mesh-picture.sh [CONFIG] [OUT.svg]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-testdata/configs/two-clusters.yaml}
out=${2:-docs/mesh.svg}
command -v dot >/dev/null || { echo "mesh-picture: Graphviz 'dot' not found (apt-get install graphviz, or make tools)" >&2; exit 1; }
cargo build --locked --release --quiet
./target/release/eastwest graph --config "$config" --format dot | dot -Tsvg -o "$out"
echo "wrote $out"
