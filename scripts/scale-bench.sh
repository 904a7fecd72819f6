#!/usr/bin/env bash
# The management API at scale: 1,000 accounts, 1,000,000 keys and
# 10,000,000 spend-log rows generated with SQL, then the p95 latency of the
# queries behind /key/list (first and a deep page), /spend/logs for one key
# over one day and a 30-day spend report, each run as the tenant role (RLS
# on, `SET LOCAL app.account_id`) and as the admin role (RLS bypassed) to
# show what row-level security costs; then the same endpoints over HTTP.
#
#   scripts/scale-bench.sh                    # full size
#   ACCOUNTS=100 KEYS=1000 LOGS=1000 scripts/scale-bench.sh   # quick look
#   KEEP=1 scripts/scale-bench.sh             # reuse generated data
#
# Needs a PostgreSQL superuser at SCALE_DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres) reachable with trust or
# PGPASSWORD, and pgbench (postgresql-contrib / the server package).
set -euo pipefail
cd "$(dirname "$0")/.."
ACCOUNTS="${ACCOUNTS:-1000}"; KEYS="${KEYS:-1000}"; LOGS="${LOGS:-10000}"
TRANSACTIONS="${TRANSACTIONS:-1000}"; ROUNDS="${ROUNDS:-5}"
SERVER_URL="${SCALE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
DB=alchemi_scale
DB_URL="${SERVER_URL%/*}/$DB"
HOST_PART="${SERVER_URL#*@}"; HOST="${HOST_PART%%:*}"; PORT_PART="${HOST_PART#*:}"; PGPORT_NUM="${PORT_PART%%/*}"
OUT="${OUT_DIR:-/tmp/alchemi-scale-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

cargo build --release --locked -q
BIN="$PWD/target/release/alchemi"
export LITELLM_MASTER_KEY=sk-scale-master ALCHEMI_DATA_DIR="$OUT/data" RUST_LOG=warn

if [ -z "${KEEP:-}" ] || ! psql -qtA -d "$DB_URL" -c 'SELECT 1' >/dev/null 2>&1; then
  psql -q -d "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  DATABASE_URL="$DB_URL" "$BIN" migrate
  echo "generating $ACCOUNTS accounts × $KEYS keys and × $LOGS spend logs…"
  started=$(date +%s)
  PGOPTIONS="-c scale.logs=$LOGS" psql -q -d "$DB_URL" -v ON_ERROR_STOP=1 \
    -v accounts="$ACCOUNTS" -v keys="$KEYS" -f scripts/scale/generate.sql
  echo "generated in $(( $(date +%s) - started )) s"
fi
psql -qtA -d "$DB_URL" -c "SELECT 'rows: ' || (SELECT count(*) FROM \"Alchemi_AccountTable\") || ' accounts, ' ||
  (SELECT count(*) FROM \"LiteLLM_VerificationToken\") || ' keys, ' || (SELECT count(*) FROM \"LiteLLM_SpendLogs\") || ' spend logs'"

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

# p95 in milliseconds from a pgbench per-transaction log.
p95() { cat "$@" | awk '{print $3/1000}' | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.95); if (i<1) i=1; printf "%.2f", a[i]}'; }

run_sql() { # role, setup line, script → p95
  local role=$1 setup=$2 script=$3 dir="$OUT/pgbench-$1-$(basename "$3" .sql)"
  rm -rf "$dir"; mkdir -p "$dir"
  sed "s|:ROLE_SETUP|$setup|" "$script" > "$dir/script.sql"
  # Prepared statements, as the gateway runs them (it caches each
  # statement per connection): parsing and rewriting, where the policies
  # are applied, happen once per connection, as in production. A fixed
  # seed makes both roles visit the same accounts in the same order.
  (cd "$dir" && pgbench -n -M prepared --random-seed=20261127 -D accounts="$ACCOUNTS" -c 2 -j 2 -t "$TRANSACTIONS" -l -h "$HOST" -p "$PGPORT_NUM" -U "$role" -f script.sql "$DB" >/dev/null 2>pgbench.err)
  p95 "$dir"/pgbench_log.*
}

printf '\n%-26s %14s %14s %10s\n' "query (p95, ms)" "tenant + RLS" "admin, no RLS" "RLS cost"
for name in key_list_first key_list_deep spend_logs_day spend_report_30d; do
  script="scripts/scale/$name.sql"
  # Both roles send the same statements (the admin's SET LOCAL is inert),
  # so the difference is the policies alone; a first pass of each warms the
  # cache, so neither role pays for it.
  # (`set_config(..., true)` is `SET LOCAL` with a parameter, which a
  # prepared statement needs.)
  setup="SELECT set_config('app.account_id', :account, true);"
  run_sql alchemi_app "$setup" "$script" >/dev/null
  run_sql alchemi_admin "$setup" "$script" >/dev/null
  # Sub-millisecond p95s move by tens of percent from run to run on a
  # shared machine: the roles alternate for ROUNDS runs and each reports
  # the median of its p95s.
  tenants=(); admins=()
  for _ in $(seq "$ROUNDS"); do
    tenants+=("$(run_sql alchemi_app "$setup" "$script")")
    admins+=("$(run_sql alchemi_admin "$setup" "$script")")
  done
  tenant=$(median "${tenants[@]}")
  admin=$(median "${admins[@]}")
  cost=$(awk -v t="$tenant" -v a="$admin" 'BEGIN { if (a > 0) printf "%+.0f%%", (t - a) / a * 100; else print "n/a" }')
  printf '%-26s %14s %14s %10s\n' "$name" "$tenant" "$admin" "$cost"
done

# The endpoints themselves, over HTTP with keep-alive.
PORT_HTTP="${SCALE_PORT:-4710}"
DATABASE_URL="$DB_URL" PORT="$PORT_HTTP" HOST=127.0.0.1 "$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT_HTTP/health/liveliness" >/dev/null && break; sleep 0.1; done
python3 - "$PORT_HTTP" "$TRANSACTIONS" "$ACCOUNTS" <<'PY'
import http.client, random, sys, time, hashlib
port, n, total = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def account(i): return "00000000-0000-4000-8000-%d" % (100000000000 + i)
def key(a, k): return hashlib.md5((a + str(k)).encode()).hexdigest() + hashlib.md5((str(k) + a).encode()).hexdigest()
conn = http.client.HTTPConnection("127.0.0.1", port)
def p95(paths):
    times = []
    for a, path in paths:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": "Bearer sk-scale-master", "x-account-id": a})
        response = conn.getresponse(); response.read()
        if response.status != 200: raise SystemExit("%s -> %d" % (path, response.status))
        times.append((time.perf_counter() - started) * 1000)
    times.sort(); return times[max(0, int(len(times) * 0.95) - 1)]
import datetime
today = datetime.date.today()
cases = {
    "GET /key/list (page 1)": lambda a: "/key/list?page=1&size=10",
    "GET /key/list (page 100)": lambda a: "/key/list?page=100&size=10",
    "GET /spend/logs (key, 1 day)": lambda a: "/spend/logs?api_key=%s&start_date=%s&end_date=%s" % (key(a, random.randint(1, 100)), today - datetime.timedelta(days=3), today - datetime.timedelta(days=2)),
    "GET /global/spend/report (30 d)": lambda a: "/global/spend/report?start_date=%s&end_date=%s" % (today - datetime.timedelta(days=30), today),
}
print("\n%-34s %10s" % ("endpoint (p95, ms)", "HTTP"))
for name, path in cases.items():
    accounts = [account(random.randint(1, total)) for _ in range(n)]
    try:
        print("%-34s %10.2f" % (name, p95([(a, path(a)) for a in accounts])))
    except SystemExit as err:
        print("%-34s %10s  (%s)" % (name, "failed", err))
PY
echo "logs: $OUT"
