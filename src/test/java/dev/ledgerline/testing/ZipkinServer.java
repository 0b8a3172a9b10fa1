package dev.ledgerline.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Zipkin server (the {@code io.zipkin:zipkin-server} exec jar the build copies to {@code target/zipkin}) in a
 * child process on a free loopback port with in-memory storage, for tests that export spans and read them back
 * through Zipkin's HTTP API.
 */
public final class ZipkinServer implements AutoCloseable {
  /** Where the build puts the jar (maven-dependency-plugin, process-test-resources). */
  public static final Path JAR = Path.of("target", "zipkin", "zipkin-server.jar");

  private final Process process;
  private final int port;
  private final Path log;

  private ZipkinServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts Zipkin and waits until its {@code /health} answers 200. */
  public static ZipkinServer start(WebClient web) throws Exception {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: the build copies it in process-test-resources "
          + "(./mvnw process-test-resources)");
    }
    int port = FreePorts.next();
    Path log = Files.createTempFile("zipkin-", ".log");
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar",
        JAR.toString(), "--server.port=" + port, "--server.address=127.0.0.1"))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("STORAGE_TYPE", "mem");
    pb.environment().put("QUERY_PORT", String.valueOf(port));
    ZipkinServer zipkin = new ZipkinServer(pb.start(), port, log);
    try {
      Poll.until(Duration.ofSeconds(120), "Zipkin's /health on port " + port, () -> {
        if (!zipkin.process.isAlive()) {
          throw new IllegalStateException("Zipkin exited: " + Files.readString(log));
        }
        try {
          return web.get(port, "127.0.0.1", "/health").send().await().statusCode() == 200;
        } catch (Exception e) { // not listening yet
          return false;
        }
      });
    } catch (RuntimeException | Error e) {
      zipkin.close();
      throw e;
    }
    return zipkin;
  }

  /** Where spans are posted (the node's {@code tracing.endpoint}). */
  public String spansEndpoint() {
    return "http://127.0.0.1:" + port + "/api/v2/spans";
  }

  /** {@code GET /api/v2/trace/{id}}: the trace's spans, empty while Zipkin has none of them. */
  public JsonArray trace(WebClient web, String traceId) {
    var r = web.get(port, "127.0.0.1", "/api/v2/trace/" + traceId).send().await();
    return r.statusCode() == 200 ? r.bodyAsJsonArray() : new JsonArray();
  }

  /** {@code GET /api/v2/traces?serviceName=…}: recent traces of the service. */
  public JsonArray traces(WebClient web, String serviceName) {
    return web.get(port, "127.0.0.1", "/api/v2/traces?limit=100&serviceName=" + serviceName).send().await()
        .bodyAsJsonArray();
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    Files.deleteIfExists(log);
  }
}
