#!/usr/bin/env bash
# Stops the nodes started by scripts/run-cluster.sh (SIGTERM, then waits for each to exit).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pids="$here/data/cluster/pids"
[[ -f "$pids" ]] || { echo "no cluster is running"; exit 0; }
# Stop the other nodes before node 1, which holds PostgreSQL and Redis.
tac "$pids" | while read -r pid; do
  kill -TERM "$pid" 2>/dev/null || continue
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then echo "node $pid did not stop within 15 s; killing it" >&2; kill -KILL "$pid"; fi
done
rm -f "$pids"
echo "cluster stopped"
