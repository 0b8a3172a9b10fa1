#!/usr/bin/env bash
# The bare PostgreSQL peer of POST /v1/transfers: what a naive PostgreSQL ledger does on the same machine. Starts its
# own throw-away PostgreSQL (Unix socket only, so no port is taken), loads ACCOUNTS accounts and runs a one-statement
# transfer (one UPDATE moving 1 from one account to another, committed with the server's default synchronous_commit)
# under pgbench with CLIENTS clients for DURATION seconds, RUNS times. Prints each run's tps and their median.
# Usage: scripts/pg-peer.sh [--clients 32] [--duration 20] [--runs 3] [--accounts 10000]
# Needs PostgreSQL's server binaries and pgbench: PG_BIN, else `pg_config --bindir`, else /usr/lib/postgresql/*/bin.
set -euo pipefail
clients=32 duration=20 runs=3 accounts=10000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clients) clients=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    *) echo "pg-peer: unknown option $1" >&2; exit 2 ;;
  esac
done
bin="${PG_BIN:-}"
if [[ -z "$bin" ]] && command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/postgres" ]]; then
  bin="$(pg_config --bindir)"
fi
if [[ -z "$bin" ]]; then
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
for tool in initdb pg_ctl postgres psql; do
  [[ -x "$bin/$tool" ]] || { echo "pg-peer: $tool not found (set PG_BIN to PostgreSQL's bin directory)" >&2; exit 1; }
done
pgbench="$bin/pgbench"
[[ -x "$pgbench" ]] || pgbench="$(command -v pgbench || true)"
[[ -n "$pgbench" ]] || { echo "pg-peer: pgbench not found (Debian: postgresql-client)" >&2; exit 1; }

dir="$(mktemp -d /tmp/ledgerline-pg-peer-XXXXXX)"
# PostgreSQL refuses to run as root: run it as the directory's owner, a user made for that if need be.
as=()
if [[ "$(id -u)" == 0 ]]; then
  user="$(getent passwd postgres >/dev/null && echo postgres || echo nobody)"
  chown "$user" "$dir"
  as=(runuser -u "$user" --)
fi
stop() { "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap stop EXIT
"${as[@]}" "$bin/initdb" -D "$dir/data" -U bench --auth=trust >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses='' -k $dir -c max_connections=$((clients + 10)) -c shared_buffers=128MB" start >/dev/null
psql=("${as[@]}" "$bin/psql" -h "$dir" -U bench -d postgres -q -v ON_ERROR_STOP=1)
"${psql[@]}" -c "CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)" \
  -c "INSERT INTO accounts (id) SELECT generate_series(1, $accounts)" -c "VACUUM ANALYZE accounts"
cat > "$dir/transfer.sql" <<SQL
\set dr random(1, $accounts)
\set cr random(1, $((accounts - 1)))
\set cr :cr + case when :cr >= :dr then 1 else 0 end
UPDATE accounts SET balance = balance + CASE WHEN id = :dr THEN -1 ELSE 1 END WHERE id IN (:dr, :cr);
SQL
chmod a+r "$dir/transfer.sql"
tps=()
for run in $(seq 1 "$runs"); do
  out="$("${as[@]}" "$pgbench" -h "$dir" -U bench -n -M prepared -c "$clients" -j 2 -T "$duration" \
    -f "$dir/transfer.sql" postgres 2>&1)" || { echo "$out" >&2; exit 1; }
  t="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -1)"
  lat="$(sed -n 's/^latency average = \(.*\)$/\1/p' <<<"$out")"
  echo "pg-peer run $run: $t tps (latency average $lat, $clients clients, ${duration}s)"
  tps+=("$t")
done
median="$(printf '%s\n' "${tps[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
echo "pg-peer median: $median tps"
