#!/usr/bin/env bash
# Installs what the test suite needs on a Debian-family machine (PostgreSQL,
# Redis, Chromium and chromedriver for the console's browser tests), makes sure a
# PostgreSQL is reachable for the tests, then checks formatting and lints and
# runs the whole suite.
#
# The tests use the cluster at ALCHEMI_TEST_DATABASE_URL (a superuser URL; by
# default postgres://postgres@127.0.0.1:5432/postgres). If that does not
# answer, a private trust-auth cluster is started in /tmp for the run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

pg_bin_dir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
  fi
}

# 1. System packages.
missing=()
[ -n "$(pg_bin_dir)" ] || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
# The console's browser tests drive headless Chromium through chromedriver.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. A PostgreSQL superuser the tests can use.
export ALCHEMI_TEST_DATABASE_URL="${ALCHEMI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! PGCONNECT_TIMEOUT=3 psql -w -q -d "$ALCHEMI_TEST_DATABASE_URL" -c 'SELECT 1' >/dev/null 2>&1; then
  if [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  fi
fi
if ! PGCONNECT_TIMEOUT=3 psql -w -q -d "$ALCHEMI_TEST_DATABASE_URL" -c 'SELECT 1' >/dev/null 2>&1; then
  cluster=/tmp/alchemi-test-cluster
  port=54329
  bin=$(pg_bin_dir)
  run=()
  if [ "$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); fi
  if [ ! -f "$cluster/PG_VERSION" ]; then
    mkdir -p "$cluster"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$cluster"
    "${run[@]}" "$bin/initdb" -D "$cluster" -U postgres -A trust --no-locale -E UTF8 >/dev/null
  fi
  if ! "${run[@]}" "$bin/pg_ctl" -D "$cluster" status >/dev/null 2>&1; then
    "${run[@]}" "$bin/pg_ctl" -D "$cluster" -l "$cluster/server.log" -w \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300" start >/dev/null
  fi
  export ALCHEMI_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "using a private test cluster on port $port"
fi

# 3. A Redis for the replica tests (ALCHEMI_TEST_REDIS_URL, else the local
#    one; a private one on port 63799 when nothing answers).
export ALCHEMI_TEST_REDIS_URL="${ALCHEMI_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
if ! redis-cli -u "$ALCHEMI_TEST_REDIS_URL" ping >/dev/null 2>&1; then
  redis-server --port 63799 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
  export ALCHEMI_TEST_REDIS_URL="redis://127.0.0.1:63799"
  for _ in $(seq 50); do redis-cli -p 63799 ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "using a private test redis on port 63799"
fi

# 4. Checks and the suite. Wire-shape snapshots (tests/it/snapshots/) are
#    compared, never written: a changed shape fails the run.
export INSTA_UPDATE=no CI=true
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
