#!/usr/bin/env bash
# Starts N Ledgerline nodes on loopback and waits until every one is ready.
#   node 1: all roles, the embedded PostgreSQL and Redis, Hazelcast 5701, gateway 8080, management 9090
#   node i: gateway, transactions and cache roles, using node 1's PostgreSQL and Redis and its development JWT key;
#           ports +i-1
# Every node speaks mutual TLS to the others (cluster.tls): a development CA and one certificate per node are made
# under data/cluster/tls with `ledgerline dev-certs` (the JDK's keytool) when missing.
# Secrets never go on a command line: node 1's PostgreSQL and Redis URLs (with their passwords) reach the other
# nodes as environment variables of those processes only.
# Logs and data go under data/cluster/node-i; stop everything with scripts/stop-cluster.sh.
set -euo pipefail
n="${1:-3}"
[[ "$n" =~ ^[1-9]$ ]] || { echo "usage: $0 N   (1..9 nodes)" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
base="data/cluster"
mkdir -p "$base"
if [[ -f "$base/pids" ]] && xargs -r kill -0 < "$base/pids" 2>/dev/null; then
  echo "a cluster is already running (see $base/pids); run scripts/stop-cluster.sh first" >&2
  exit 1
fi
: > "$base/pids"
pg_port=15432
redis_port=16379
members=""
tls="$base/tls"
if [[ ! -f "$tls/node-$n.key" ]]; then
  scripts/ledgerline dev-certs --out "$tls" --nodes "$n" >/dev/null
fi
for i in $(seq 1 "$n"); do members+="${members:+,}127.0.0.1:$((5700 + i))"; done

wait_ready() { # port, pid, log
  local deadline=$((SECONDS + 180))
  until curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$2" 2>/dev/null; then echo "node on management port $1 exited; see $3" >&2; return 1; fi
    if (( SECONDS > deadline )); then echo "node on management port $1 not ready after 180 s; see $3" >&2; return 1; fi
    sleep 1
  done
}

url_of() { # postgres|redis
  sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p" "$base/node-1/embedded-urls.json"
}

start_node() { # index
  local i="$1" dir="$base/node-$1"
  mkdir -p "$dir"
  local args=(run --set "node.id=node-$i" --set "node.data-dir=$dir"
    --set cluster.enabled=true --set "cluster.port=$((5700 + i))" --set "cluster.members=$members"
    --set cluster.tls.enabled=true --set "cluster.tls.cert=$tls/node-$i.pem" --set "cluster.tls.key=$tls/node-$i.key"
    --set "cluster.tls.trust=$tls/ca.pem"
    --set "management.port=$((9089 + i))" --set "gateway.port=$((8079 + i))")
  if [[ "$i" == 1 ]]; then
    args+=(--set "postgres.embedded-port=$pg_port" --set "postgres.data-dir=$dir/pg"
      --set "redis.embedded-port=$redis_port" --set "redis.data-dir=$dir/redis")
    scripts/ledgerline "${args[@]}" > "$dir/node.log" 2>&1 &
  else
    # Node 1 publishes its servers' URLs (with their generated passwords) in a file only we can read; they go to
    # the node through its environment, which only our user can read, not through argv, which everyone can.
    args+=(--set "node.roles=gateway,transactions,cache" --set postgres.mode=external --set redis.mode=external
      # One key pair for the whole cluster: node 1's development key, so a token works on every node.
      --set "auth.jwt.public-keys=$base/node-1/keys/dev-jwt-public.pem"
      --set "auth.jwt.private-key=$base/node-1/keys/dev-jwt-private.pem"
      # One provider sandbox for the whole cluster: node 1's (its development credentials), so a linked item
      # works on every node.
      --set "providers.plaid.base-url=http://127.0.0.1:7070" --set providers.plaid.client-id=ledgerline-sandbox)
    LEDGERLINE_POSTGRES_URL="$(url_of postgres)" LEDGERLINE_REDIS_URL="$(url_of redis)" \
      LEDGERLINE_PROVIDERS_PLAID_SECRET=ledgerline-sandbox-secret \
      scripts/ledgerline "${args[@]}" > "$dir/node.log" 2>&1 &
  fi
  echo $! >> "$base/pids"
  echo "$!"
}

pid=$(start_node 1)
wait_ready 9090 "$pid" "$base/node-1/node.log"
for i in $(seq 2 "$n"); do
  pids[$i]=$(start_node "$i")
done
for i in $(seq 2 "$n"); do
  wait_ready $((9089 + i)) "${pids[$i]}" "$base/node-$i/node.log"
done
for i in $(seq 1 "$n"); do
  members_seen=$(curl -fsS "http://127.0.0.1:$((9089 + i))/health/ready" | grep -o '"members":[0-9]*' | cut -d: -f2)
  echo "node-$i  gateway http://127.0.0.1:$((8079 + i))  management http://127.0.0.1:$((9089 + i))  members ${members_seen}"
done
