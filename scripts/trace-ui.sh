#!/usr/bin/env bash
# Starts a Zipkin server on loopback for looking at Ledgerline's traces, and prints how to point a node at it.
#   scripts/trace-ui.sh [PORT]     (default 9411; Zipkin's UI at http://127.0.0.1:PORT/zipkin/)
# The server is the io.zipkin:zipkin-server exec jar the build resolves like any other artifact (pom.xml,
# maven-dependency-plugin execution "zipkin-server"); it keeps traces in memory only. Stop it with Ctrl-C.
set -euo pipefail
port="${1:-9411}"
[[ "$port" =~ ^[0-9]{1,5}$ ]] || { echo "usage: $0 [PORT]" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
jar="target/zipkin/zipkin-server.jar"
if [[ ! -f "$jar" ]]; then
  # Offline first (the jar is in the local repository after any full build), then online once.
  ./mvnw -B -q -o dependency:copy@zipkin-server 2>/dev/null || ./mvnw -B -q dependency:copy@zipkin-server
fi
cat <<MSG
Zipkin: http://127.0.0.1:$port/zipkin/
Point a node at it (file keys, or the same as environment variables or --set):
  tracing:
    exporter: zipkin
    endpoint: http://127.0.0.1:$port/api/v2/spans
    sampling-ratio: 1.0
e.g. LEDGERLINE_TRACING_EXPORTER=zipkin LEDGERLINE_TRACING_ENDPOINT=http://127.0.0.1:$port/api/v2/spans \\
     LEDGERLINE_TRACING_SAMPLING_RATIO=1.0 scripts/ledgerline run
MSG
exec env STORAGE_TYPE=mem QUERY_PORT="$port" java -Xmx512m -jar "$jar" --server.address=127.0.0.1 --server.port="$port"
