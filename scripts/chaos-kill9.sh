#!/usr/bin/env bash
# Crash cycles outside the test suite: a node under concurrent HTTP load is killed with SIGKILL N times; after each
# restart every acknowledged transfer must exist, nothing unsent may, debits must equal credits, and retries with
# the same Idempotency-Key must change nothing. Exit 1 on any violation.
# Usage: scripts/chaos-kill9.sh [N] [--seed S] [--connections C] [--dir DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
n="${1:-10}"
shift || true
exec "$here/ledgerline" chaos --cycles "$n" "$@"
