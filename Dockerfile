# Build stage: the Maven wrapper builds the one runnable jar.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY conf/ conf/
COPY src/ src/
RUN ./mvnw -B -q -DskipTests package

# Runtime stage: a JRE, a non-root user, data on a volume.
FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && groupadd --system ledgerline && useradd --system --gid ledgerline --home-dir /app --shell /usr/sbin/nologin ledgerline
WORKDIR /app
COPY --from=build /src/target/ledgerline.jar /app/ledgerline.jar
COPY conf/ /app/conf/
COPY scripts/ledgerline /app/scripts/ledgerline
RUN mkdir -p /app/data && chown -R ledgerline:ledgerline /app/data
USER ledgerline
VOLUME ["/app/data"]
# Inside a container the servers must listen beyond loopback; publish only what you mean to expose.
# A management server beyond loopback needs a bearer token, or the node refuses to start (exit 2): give it with
#   docker run -e LEDGERLINE_MANAGEMENT_AUTH_TOKEN=<32+ random characters> ...   or, from a secret file,
#   docker run -e LEDGERLINE_MANAGEMENT_AUTH_TOKEN_FILE=/run/secrets/management-token ...
# Scrape /metrics with "Authorization: Bearer <token>".
# A gateway beyond loopback verifies tokens with real keys (auth.jwt.public-keys / jwks-url), or the node refuses to
# start (exit 2); for a trial only, -e LEDGERLINE_AUTH_JWT_DEV_KEYS=true accepts development keys (warned at start).
ENV LEDGERLINE_GATEWAY_HOST=0.0.0.0 \
    LEDGERLINE_MANAGEMENT_HOST=0.0.0.0 \
    LEDGERLINE_JAR=/app/ledgerline.jar
EXPOSE 8080 9090
# Without the token /health/ready answers only its status (200 UP / 503 DOWN), which is all this check needs; the
# checks' detail and /metrics need the token.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:9090/health/ready || exit 1
ENTRYPOINT ["/app/scripts/ledgerline"]
CMD ["run"]
