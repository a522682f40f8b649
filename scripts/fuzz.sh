#!/usr/bin/env bash
# Fuzz eastwest: run each cargo-fuzz target (fuzz/fuzz_targets/) for SECONDS (default 60).
#
#   bash scripts/fuzz.sh [SECONDS]          (make fuzz FUZZ_SECONDS=...)
#
# Targets: stream_reader (any stdin through eastwest::run, plus idempotence of the output),
# config_reader (any config text through eastwest::config::from_text, plus the standalone
# set it generates) and fast_reader (the fast YAML reader must build the full parser's
# tree whenever it takes a text). Pick some with FUZZ_TARGETS="stream_reader".
#
# Works on stable Rust: cargo-fuzz passes nightly-only -Z flags to rustc, which stable
# accepts with RUSTC_BOOTSTRAP=1. cargo-fuzz itself is installed from crates.io into
# cargo's bin directory when it is missing (once; later runs reuse it).
#
# Seeds come from testdata/fuzz-seeds/<target>/ (read only); what the fuzzer learns goes to
# fuzz/corpus/<target>/ and reproducers of failures to fuzz/artifacts/<target>/ (both
# ignored by git). Exit status: 0 when no target found anything, 1 otherwise.
#
# Environment: FUZZ_SANITIZER (default none; "address" finds memory errors in unsafe code
# at half the speed), FUZZ_JOBS (parallel workers per target, default 1).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_PER_TARGET=${1:-60}
TARGETS=${FUZZ_TARGETS:-"stream_reader config_reader fast_reader"}
SANITIZER=${FUZZ_SANITIZER:-none}
JOBS=${FUZZ_JOBS:-1}

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

case "$SECONDS_PER_TARGET" in
  '' | *[!0-9]*) die "SECONDS must be a whole number, not '$SECONDS_PER_TARGET'" ;;
esac

# Stable rustc accepts cargo-fuzz's -Z flags (sanitizers, coverage) only with this.
export RUSTC_BOOTSTRAP=1
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$CARGO_BIN:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz from crates.io into $CARGO_BIN (once)"
  cargo install --locked cargo-fuzz
fi

# Largest input per target: big enough for a small chart, deep nesting or an alias bomb.
max_len() {
  case "$1" in
    stream_reader) echo 65536 ;;
    config_reader) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

cd "$ROOT/fuzz"
# -a: debug assertions (integer overflow checks) on top of optimisations.
BUILD_FLAGS=(-O -a --sanitizer "$SANITIZER")
log "building targets ($SANITIZER sanitizer)"
cargo fuzz build "${BUILD_FLAGS[@]}"

# Jobs mode (-jobs) forks workers that log to fuzz-N.log; only ask for it when wanted.
parallel=()
if [ "$JOBS" -gt 1 ]; then
  parallel=(-jobs="$JOBS" -workers="$JOBS")
fi

failed=()
for target in $TARGETS; do
  seeds="$ROOT/testdata/fuzz-seeds/$target"
  corpus="$ROOT/fuzz/corpus/$target"
  artifacts="$ROOT/fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  [ -d "$seeds" ] || die "no seed corpus at $seeds"
  log "$target: ${SECONDS_PER_TARGET}s, seeds from testdata/fuzz-seeds/$target"
  # The first corpus directory receives new inputs; the seeds directory is only read.
  if cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "$corpus" "$seeds" -- \
      -max_total_time="$SECONDS_PER_TARGET" \
      -max_len="$(max_len "$target")" \
      -rss_limit_mb=2048 \
      -timeout=10 \
      "${parallel[@]}" \
      -artifact_prefix="$artifacts/" \
      -print_final_stats=1; then
    log "$target: no failure"
  else
    log "$target: FAILED; reproducers in fuzz/artifacts/$target/ (minimise with: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz tmin $target FILE)"
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  log "failures in: ${failed[*]}"
  exit 1
fi
log "all targets ran ${SECONDS_PER_TARGET}s without a failure"
