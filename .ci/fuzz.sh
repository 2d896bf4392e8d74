#!/usr/bin/env bash
# Fuzzes every protocol parser and the SSE decoder for a bounded time (`cargo fuzz`, libFuzzer).
# A crash stops the script with the failing input under fuzz/artifacts/<target>/; turn it into
# a regression test in crates/bitrouter-protocols/tests/ and fix the decoder (a decoder must
# return an error, never panic).
#
#   .ci/fuzz.sh                 # every target, FUZZ_SECONDS (default 30) each
#   FUZZ_SECONDS=5 .ci/fuzz.sh sse_decoder peek_body
set -euo pipefail
cd "$(dirname "$0")/.."

# cargo-fuzz passes nightly-only flags to rustc (`-Zsanitizer`, sancov passes). This machine's
# toolchain is stable; RUSTC_BOOTSTRAP=1 lets stable rustc accept them. It only affects this
# fuzz build, which is never shipped.
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/bitrouter/target}-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-30}"
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(decode_request decode_response stream_decode peek_body sse_decoder)
fi

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seed corpus from the protocol fixtures (the official API reference examples). The first
# byte of a seed picks the protocol in `Protocol::ALL` order; the stream targets read a second
# byte as the chunk size.
FIXTURES=crates/bitrouter-protocols/tests/fixtures
PROTOCOLS=(openai_chat openai_responses anthropic_messages google_generate_content)
seed() { # target, prefix bytes (printf format), file
  local dir="fuzz/corpus/$1" name
  mkdir -p "$dir"
  name="$(basename "$(dirname "$3")")_$(basename "$3")"
  { printf "$2"; cat "$3"; } >"$dir/seed_$name"
}
for i in "${!PROTOCOLS[@]}"; do
  p="${PROTOCOLS[$i]}"
  sel="\\x0$i"
  for f in "$FIXTURES/$p"/*.json; do
    seed decode_request "$sel\\x00" "$f"
    seed decode_response "$sel" "$f"
    seed peek_body "" "$f"
  done
  for f in "$FIXTURES/$p"/*.sse; do
    seed stream_decode "$sel\\x07" "$f"
    seed sse_decoder "\\x05" "$f"
  done
done
for f in "$FIXTURES/signatures"/*.json; do
  seed decode_response "\\x02" "$f"
done
seed decode_request "\\x03\\x03" "$FIXTURES/google_generate_content/request.json"

cd fuzz
mkdir -p logs
# `-a`: debug assertions and overflow checks on, so arithmetic overflow is a crash too.
# `-s none`: the code under test forbids `unsafe`; a sanitizer would only slow the search.
cargo fuzz build -a -s none
status=0
for t in "${TARGETS[@]}"; do
  printf '\n=== fuzz %s for %ss (%s)\n' "$t" "$SECONDS_EACH" "$(date +%H:%M:%S)"
  rc=0
  cargo fuzz run -a -s none "$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_EACH" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"logs/$t.log" 2>&1 || rc=$?
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY)|panicked|Test unit written' \
    "logs/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "logs/$t.log" >&2
    echo "fuzz target $t failed (exit $rc): the input is under fuzz/artifacts/$t/" >&2
    status=1
  fi
done
exit $status
