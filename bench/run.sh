#!/usr/bin/env bash
# BitRouter load benchmark: one command from a fresh clone, prints the table.
#
#   bench/run.sh            # ~4 minutes after the build
#   bench/run.sh --quick    # ~1 minute
#   bench/run.sh --no-pin   # let the kernel place the processes (default: taskset pinning)
#   bench/run.sh --no-features # without the virtual key (the ledger and metrics are always on)
#
# Environment: BENCH_LOADGEN=oha|client (default oha, installed into bench/.cache when
# missing; falls back to the built-in client if the install fails), CARGO_TARGET_DIR.
# Everything listens on and targets 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
CACHE="${BENCH_CACHE:-$BENCH/.cache}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$CARGO_TARGET_DIR/release"

DURATION=5 WARMUP=0.5 STARTUP_RUNS=7 OPEN_STREAMS=1000 PIN=1 FEATURES=1
for arg in "$@"; do
  case "$arg" in
    --quick) DURATION=1.5 WARMUP=0.3 STARTUP_RUNS=3 ;;
    --no-pin) PIN=0 ;;
    --features) FEATURES=1 ;;
    --no-features) FEATURES=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$BENCH/results/$STAMP"
mkdir -p "$OUT" "$CACHE"
RAW="$OUT/raw.jsonl"
: > "$RAW"
log() { printf '[bench] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- build and tools
log "building release binaries (bitrouter, fake-upstream, bench-client) into $CARGO_TARGET_DIR"
(cd "$ROOT" && cargo build --release --quiet -p bitrouter-cli -p bitrouter-test-support \
   -p bitrouter-bench --bin bitrouter --bin fake-upstream --bin bench-client)
CLIENT="$BIN/bench-client"

LOADGEN="${BENCH_LOADGEN:-oha}"
OHA=""
if [ "$LOADGEN" = oha ]; then
  if command -v oha >/dev/null 2>&1; then OHA=$(command -v oha)
  elif [ -x "$CACHE/oha/bin/oha" ]; then OHA="$CACHE/oha/bin/oha"
  else
    log "installing oha into $CACHE/oha (cargo install --locked; a few minutes, once)"
    if env -u CARGO_TARGET_DIR cargo install oha --locked --quiet --root "$CACHE/oha" >&2; then
      OHA="$CACHE/oha/bin/oha"
    else
      log "oha could not be installed; plain requests use bench-client instead"
    fi
  fi
fi
log "load generator for plain requests: ${OHA:-bench-client}"

# ---------------------------------------------------------------- CPU placement
# Two cores: the load generator and the fakes share CPU 0, BitRouter has CPU 1 to itself.
# Direct runs use the same placement for the generator and the fake, so "added" numbers
# compare like with like. --no-pin lets the kernel place everything.
if [ "$PIN" = 1 ] && command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  ON_GEN="taskset -c 0" ON_FAKE="taskset -c 0" ON_ROUTER="taskset -c 1"
else
  ON_GEN="" ON_FAKE="" ON_ROUTER=""
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_fake PROTOCOL [DELAY_MS] -> sets FAKE_PORT, FAKE_PID
start_fake() {
  local log="$OUT/fake-$1-${2:-0}.log"
  $ON_FAKE "$BIN/fake-upstream" --listen 127.0.0.1:0 --protocol "$1" --token-delay-ms "${2:-0}" >"$log" 2>&1 &
  FAKE_PID=$!; PIDS+=("$FAKE_PID")
  for _ in $(seq 200); do
    FAKE_PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$log")
    [ -n "$FAKE_PORT" ] && return 0
    sleep 0.01
  done
  log "fake-upstream $1 did not start: $(cat "$log")"; exit 1
}

# ---------------------------------------------------------------- USER FEATURES
# BitRouter is measured with what a user has on: the spend ledger on SQLite and the metrics
# (always on in the binary), and a virtual key on every call (off with --no-features).
ROUTER_ARGS=()
CLIENT_KEY="sk-bench-client"   # any client key passes while no virtual key exists
export BITROUTER_HOME="$OUT/home"; mkdir -p "$BITROUTER_HOME"
enable_user_features() {
  CLIENT_KEY=$("$BIN/bitrouter" key create --user bench --name load --json \
    | sed -n 's/.*"secret":"\(brvk_[0-9a-f]*\)".*/\1/p')
  [ -n "$CLIENT_KEY" ] || { log "could not create a virtual key"; exit 1; }
  log "virtual key created: every call carries it and is checked (and ledgered) by BitRouter"
}
[ "$FEATURES" = 1 ] && enable_user_features

# start_router OPENAI_PORT ANTHROPIC_PORT -> sets ROUTER_PORT, ROUTER_PID
start_router() {
  ROUTER_PORT=$("$CLIENT" free-port)
  OPENAI_API_KEY=sk-test BITROUTER_OPENAI_API_BASE="http://127.0.0.1:$1/v1" \
  ANTHROPIC_API_KEY=sk-test BITROUTER_ANTHROPIC_API_BASE="http://127.0.0.1:$2/v1" \
    $ON_ROUTER "$BIN/bitrouter" serve --listen "127.0.0.1:$ROUTER_PORT" "${ROUTER_ARGS[@]}" \
    >"$OUT/bitrouter-$ROUTER_PORT.log" 2>&1 &
  ROUTER_PID=$!; PIDS+=("$ROUTER_PID")
  for _ in $(seq 500); do
    curl_health "$ROUTER_PORT" && return 0
    sleep 0.01
  done
  log "bitrouter did not start: $(tail -5 "$OUT/bitrouter-$ROUTER_PORT.log")"; exit 1
}
curl_health() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /health HTTP/1.0\r\n\r\n' >&3 && head -c 12 <&3 | grep -q 200) 2>/dev/null; }
rss_kb() { awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status"; }
measure() { printf '{"measure":"%s","value":%s}\n' "$1" "$2" >> "$RAW"; log "$1 = $2"; }

# Other processes on the CPUs (a build, another benchmark) make every number noisy.
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$LOAD_BEFORE" 'BEGIN{exit !(l > 0.5)}' && log "load average is $LOAD_BEFORE: other work is running; numbers will be noisy"

# ---------------------------------------------------------------- start-up time
# The unpinned-to-load start: spawn, poll /health every 0.2 ms, kill; several runs.
STARTUP=$(OPENAI_API_KEY=sk-test BITROUTER_OPENAI_API_BASE=http://127.0.0.1:9/v1 \
  ANTHROPIC_API_KEY=sk-test BITROUTER_ANTHROPIC_API_BASE=http://127.0.0.1:9/v1 \
  "$CLIENT" startup --runs "$STARTUP_RUNS" -- $ON_ROUTER "$BIN/bitrouter" serve --listen '127.0.0.1:{port}' "${ROUTER_ARGS[@]}")
echo "$STARTUP" > "$OUT/startup.json"
measure startup_p50_ms "$(sed -n 's/.*"p50_ms":\([0-9.]*\).*/\1/p' <<<"$STARTUP")"
measure startup_max_ms "$(sed -n 's/.*"max_ms":\([0-9.]*\).*/\1/p' <<<"$STARTUP")"

# ---------------------------------------------------------------- the servers
start_fake openai_chat;        OAI_PORT=$FAKE_PORT
start_fake anthropic_messages; ANT_PORT=$FAKE_PORT
start_router "$OAI_PORT" "$ANT_PORT"; sleep 0.3
measure idle_rss_mb "$(awk "BEGIN{printf \"%.1f\", $(rss_kb "$ROUTER_PID" VmRSS)/1024}")"
log "fakes on :$OAI_PORT (openai) :$ANT_PORT (anthropic), bitrouter on :$ROUTER_PORT (pid $ROUTER_PID)"

PROMPT="Say hello to the benchmark in a few words please"
oai_body() { printf '{"model":"%s","messages":[{"role":"user","content":"%s"}],"max_tokens":32,"stream":%s}' "$1" "$PROMPT" "$2"; }
ant_body() { printf '{"model":"%s","max_tokens":32,"messages":[{"role":"user","content":"%s"}],"stream":%s}' "$1" "$PROMPT" "$2"; }

# target PATH STREAM -> URL, BODY, HEADERS (array)
target() {
  case "$1" in
    direct-openai) URL="http://127.0.0.1:$OAI_PORT/v1/chat/completions"; BODY=$(oai_body gpt-4o-mini "$2")
      HEADERS=(-H "authorization: Bearer sk-test") ;;
    direct-anthropic) URL="http://127.0.0.1:$ANT_PORT/v1/messages"; BODY=$(ant_body claude-sonnet-4-5 "$2")
      HEADERS=(-H "x-api-key: sk-test" -H "anthropic-version: 2023-06-01") ;;
    same) URL="http://127.0.0.1:$ROUTER_PORT/v1/chat/completions"; BODY=$(oai_body openai:gpt-4o-mini "$2")
      HEADERS=(-H "authorization: Bearer $CLIENT_KEY") ;;
    cross) URL="http://127.0.0.1:$ROUTER_PORT/v1/chat/completions"; BODY=$(oai_body anthropic:claude-sonnet-4-5 "$2")
      HEADERS=(-H "authorization: Bearer $CLIENT_KEY") ;;
  esac
}

# run_case KIND LOAD PATH  (LOAD is c=N or rate=R)
run_case() {
  local kind=$1 load=$2 path=$3 stream=false conc rate="" result tool
  [ "$kind" = stream ] && stream=true
  case "$load" in c=*) conc=${load#c=} ;; rate=*) rate=${load#rate=}; conc=64 ;; esac
  target "$path" "$stream"
  if [ "$kind" = plain ] && [ -n "$OHA" ]; then
    tool=oha
    local extra=(); [ -n "$rate" ] && extra=(-q "$rate" --latency-correction)
    # -w: requests in flight at the deadline finish instead of counting as errors.
    # oha has no warm-up; a short unmeasured run opens the connections and warms the pools.
    $ON_GEN "$OHA" --no-tui -w -z "${WARMUP}s" -c "$conc" "${extra[@]}" -m POST -T application/json \
      "${HEADERS[@]}" -d "$BODY" "$URL" >/dev/null 2>&1 || true
    result=$($ON_GEN "$OHA" --no-tui -w --output-format json -z "${DURATION}s" -c "$conc" "${extra[@]}" \
      -m POST -T application/json "${HEADERS[@]}" -d "$BODY" "$URL" | tr -d '\n')
  else
    tool=client
    local extra=(); [ -n "$rate" ] && extra=(--rate "$rate")
    result=$($ON_GEN "$CLIENT" load --url "$URL" --body "$BODY" "${HEADERS[@]}" -c "$conc" \
      --duration "$DURATION" --warmup "$WARMUP" "${extra[@]}")
  fi
  printf '{"kind":"%s","load":"%s","path":"%s","tool":"%s","result":%s}\n' \
    "$kind" "$load" "$path" "$tool" "$result" >> "$RAW"
  log "$kind $load $path done"
}

PATHS=(direct-openai same direct-anthropic cross)
for load in c=1 c=64 rate=1000 rate=5000; do
  for path in "${PATHS[@]}"; do run_case plain "$load" "$path"; done
done
for load in c=1 c=64; do
  for path in "${PATHS[@]}"; do run_case stream "$load" "$path"; done
done
measure peak_rss_mb "$(awk "BEGIN{printf \"%.1f\", $(rss_kb "$ROUTER_PID" VmHWM)/1024}")"
measure after_load_rss_mb "$(awk "BEGIN{printf \"%.1f\", $(rss_kb "$ROUTER_PID" VmRSS)/1024}")"
# BitRouter's own view of its overhead over every call above (the overhead histogram).
METRICS=$( (exec 3<>"/dev/tcp/127.0.0.1/$ROUTER_PORT" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null || true)
echo "$METRICS" > "$OUT/metrics.txt"
for key in 'translated="false",streamed="false"' 'translated="true",streamed="false"' 'translated="false",streamed="true"' 'translated="true",streamed="true"'; do
  sum=$(grep "^bitrouter_overhead_seconds_sum{.*$key" <<<"$METRICS" | awk '{s+=$NF} END{print s+0}')
  count=$(grep "^bitrouter_overhead_seconds_count{.*$key" <<<"$METRICS" | awk '{s+=$NF} END{print s+0}')
  name=$(sed 's/translated="\(.*\)",streamed="\(.*\)"/overhead_avg_us_translated_\1_streamed_\2/' <<<"$key")
  [ "$count" != 0 ] && measure "$name" "$(awk -v s="$sum" -v c="$count" 'BEGIN{printf "%.1f", s/c*1e6}')"
done
LEDGER_ROWS=$(grep '^bitrouter_ledger_dropped ' <<<"$METRICS" | awk '{print $NF}')
measure ledger_dropped "${LEDGER_ROWS:-0}"
kill "$ROUTER_PID"

# ---------------------------------------------------------------- 1,000 open streams
# A second BitRouter in front of a slow fake (50 ms per token, ~30 tokens, so each stream
# stays open ~1.5 s, longer than opening 1,000 connections takes); every connection holds one stream; VmRSS is sampled meanwhile.
start_fake openai_chat 50; SLOW_PORT=$FAKE_PORT
start_router "$SLOW_PORT" "$ANT_PORT"; sleep 0.2
SLOW_URL="http://127.0.0.1:$ROUTER_PORT/v1/chat/completions"
LONG_PROMPT="$PROMPT and then count slowly from one to twenty so that the stream stays open for a while"
STREAMS=$($ON_GEN "$CLIENT" load --url "$SLOW_URL" -H "authorization: Bearer $CLIENT_KEY" \
  --body "{\"model\":\"openai:gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$LONG_PROMPT\"}],\"stream\":true}" \
  -c "$OPEN_STREAMS" --requests "$OPEN_STREAMS" --pid "$ROUTER_PID")
echo "$STREAMS" > "$OUT/open-streams.json"
measure open_streams_max_open "$(sed -n 's/.*"max_open":\([0-9]*\).*/\1/p' <<<"$STREAMS")"
measure open_streams_errors "$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' <<<"$STREAMS")"
measure open_streams_peak_rss_mb "$(awk "BEGIN{printf \"%.1f\", $(sed -n 's/.*"peak_rss_kb":\([0-9]*\).*/\1/p' <<<"$STREAMS")/1024}")"

# ---------------------------------------------------------------- the table
{
  echo "# BitRouter load benchmark, $STAMP"
  echo
  echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); pinning: $([ "$PIN" = 1 ] && echo 'generator+fakes CPU 0, BitRouter CPU 1' || echo none);"
  echo "plain requests by $([ -n "$OHA" ] && echo oha || echo bench-client), streams by bench-client; ${DURATION}s per row; SQLite ledger and metrics on, virtual key $([ "$FEATURES" = 1 ] && echo on || echo off)."
  echo "Load average before the run: $LOAD_BEFORE, after: $(cut -d' ' -f1 /proc/loadavg) (above ~0.5 means other work shared the CPUs)."
  echo "Latencies in µs; 'added' = BitRouter row minus the direct row to the same upstream in this run."
  echo
  "$CLIENT" report "$RAW"
} > "$OUT/table.md"
cat "$OUT/table.md"
log "results in $OUT (raw.jsonl, table.md, logs)"
