#!/usr/bin/env bash
# Measures what the gateway adds on top of a direct call, with the shared
# harness (../shared/bench or BENCH_DIR): an nginx mock upstream, the gateway
# with a real virtual key, model access checks and spend logging on, and a
# bare nginx proxy hop as the floor. Also measures start-to-ready, idle RSS
# and added time to first streamed byte. Everything runs on 127.0.0.1.
#
#   scripts/bench.sh                 # full run (3 rounds of 10 s at c=1 and c=64)
#   ROUNDS=1 DURATION=5 scripts/bench.sh
#
# Needs: PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres,
# a superuser), nginx-light and wrk (or oha) from the package manager.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR="${BENCH_DIR:-$(cd ../shared/bench && pwd)}"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10}"; CONCURRENCY="${CONCURRENCY:-1 64}"
PORT="${BENCH_PORT:-4700}"
SERVER_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB="alchemi_bench"
DB_URL="${SERVER_URL%/*}/$DB"
OUT="${OUT_DIR:-/tmp/alchemi-bench-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

for tool in nginx wrk; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install nginx-light wrk"; exit 1; }
done

cargo build --release --locked -q
BIN="$PWD/target/release/alchemi"

psql -q -d "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
export DATABASE_URL="$DB_URL" PORT HOST=127.0.0.1 LITELLM_MASTER_KEY=sk-bench-master \
       ALCHEMI_DATA_DIR="$OUT/data" RUST_LOG=warn
"$BIN" migrate

KEY="sk-bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
psql -q -d "$DB_URL" <<SQL
INSERT INTO "Alchemi_AccountTable" (account_id, account_name) VALUES ('11111111-1111-1111-1111-111111111111', 'bench');
INSERT INTO "LiteLLM_ProxyModelTable" (account_id, model_name, litellm_params, created_by, updated_by) VALUES
 ('11111111-1111-1111-1111-111111111111', 'gpt-4o-mini', '{"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:18080/v1", "api_key": "sk-upstream"}', 'bench', 'bench'),
 ('11111111-1111-1111-1111-111111111111', 'gpt-4o-mini-stream', '{"model": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:18081/v1", "api_key": "sk-upstream"}', 'bench', 'bench');
INSERT INTO "LiteLLM_VerificationToken" (account_id, token, key_alias, models, max_budget, rpm_limit)
VALUES ('11111111-1111-1111-1111-111111111111', '$HASH', 'bench', '{gpt-4o-mini,gpt-4o-mini-stream}', 1000000, 100000000);
SQL

bash "$BENCH_DIR/start-mock.sh" >/dev/null

start_gateway() {
  local started=$(date +%s.%N)
  "$BIN" serve > "$OUT/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/readiness" 2>/dev/null; do sleep 0.01; done
  READY_S=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}')
}
stop_gateway() { kill -TERM "$GATEWAY_PID" 2>/dev/null || true; wait "$GATEWAY_PID" 2>/dev/null || true; }
trap 'stop_gateway; bash "$BENCH_DIR/stop-mock.sh" >/dev/null 2>&1 || true; bash "$BENCH_DIR/refproxy.sh" stop >/dev/null 2>&1 || true' EXIT

start_gateway; stop_gateway      # first start migrates nothing but warms the page cache
start_gateway
sleep 1
IDLE_RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$GATEWAY_PID/status")

# Added time to first streamed byte: sequential streaming requests on one
# keep-alive connection (as SDK clients do), median of the time until the
# first body byte.
ttfb() {
  python3 - "$1" "$2" "${3:-500}" <<'PY'
import http.client, json, sys, time, urllib.parse
url, key, n = urllib.parse.urlsplit(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = json.dumps({"model": "gpt-4o-mini-stream", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
conn = http.client.HTTPConnection(url.hostname, url.port)
times = []
for _ in range(n):
    start = time.perf_counter()
    conn.request("POST", url.path, body, {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read(1)
    times.append(time.perf_counter() - start)
    response.read()
times.sort()
print(f"{times[len(times) // 2] * 1000:.3f}")
PY
}
TTFB_DIRECT=$(ttfb http://127.0.0.1:18081/v1/chat/completions sk-direct)
TTFB_GATEWAY=$(ttfb "http://127.0.0.1:$PORT/v1/chat/completions" "$KEY")

bash "$BENCH_DIR/refproxy.sh" start >/dev/null
GATEWAY_PID=$GATEWAY_PID LOADGEN=${LOADGEN:-wrk} bash "$BENCH_DIR/compare.sh" \
  -g "http://127.0.0.1:$PORT/v1/chat/completions" -k "$KEY" \
  -t nginx-hop=http://127.0.0.1:18083/v1/chat/completions, \
  -c "$CONCURRENCY" -d "$DURATION" -r "$ROUNDS" -o "$OUT/compare" | tee "$OUT/compare.txt"

SPEND_ROWS=$(psql -At -d "$DB_URL" -c 'SELECT count(*) FROM "LiteLLM_SpendLogs"')
{
  echo
  echo "start to ready (database up):   ${READY_S} s"
  echo "idle RSS:                       $((IDLE_RSS_KB / 1024)) MB"
  echo "time to first byte, streaming:  direct ${TTFB_DIRECT} ms, gateway ${TTFB_GATEWAY} ms (p50 of 500, keep-alive)"
  echo "spend log rows written:         ${SPEND_ROWS}"
  echo "raw results:                    $OUT"
} | tee -a "$OUT/compare.txt"
