package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.RunAs;
import dev.ledgerline.testing.DataRoot;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestData;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node that dies without stopping its PostgreSQL must not keep the next start from working. */
class StalePostmasterTest {

  @RegisterExtension
  final DataRoot root = new DataRoot("ledgerline-stale-test");
  private PostgresSettings settings;

  @BeforeEach
  void cluster() {
    settings = TestData.copiedCluster(root.resolve("pg"));
  }

  @Test
  void restartsAfterTheNodeProcessIsKilled() throws Exception {
    Process node = startNodeProcess(settings.dataDir());
    long postmaster;
    try {
      long[] ready = awaitReady(node);
      postmaster = ready[0];
      String password = Files.readString(settings.dataDir().resolve("password")).trim();
      EmbeddedPostgresServerTest.write(new PostgresUrl("127.0.0.1", (int) ready[1], "ledgerline", "ledgerline",
          password), "before-kill");
    } finally {
      node.destroyForcibly(); // SIGKILL: no shutdown hooks run
      node.waitFor(30, TimeUnit.SECONDS);
    }
    if (RunAs.pdeathsigSupported()) {
      // The parent-death signal makes the orphaned server shut itself down.
      assertThat(Poll.holdsWithin(Duration.ofSeconds(30), () -> ProcessHandle.of(postmaster).isEmpty()
          || !ProcessHandle.of(postmaster).get().isAlive())).as("orphaned postmaster exits").isTrue();
    }
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
      EmbeddedPostgresServerTest.write(server.url(), "after-kill");
      assertThat(EmbeddedPostgresServerTest.read(server.url())).containsExactly("before-kill", "after-kill");
    }
  }

  @Test
  void stopsAServerLeftRunningByAVanishedNode() throws Exception {
    EmbeddedPostgresServer abandoned = EmbeddedPostgresServer.start(settings);
    EmbeddedPostgresServerTest.write(abandoned.url(), "before");
    long orphan = abandoned.pid();
    abandoned.abandon();
    assertThat(Files.exists(settings.dataDir().resolve("pgdata/postmaster.pid"))).isTrue();

    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
      assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false)).as("orphan stopped").isFalse();
      assertThat(server.pid()).isNotEqualTo(orphan);
      assertThat(EmbeddedPostgresServerTest.read(server.url())).containsExactly("before");
    }
  }

  @Test
  void restartsAfterThePostmasterIsKilled() throws Exception {
    EmbeddedPostgresServer crashed = EmbeddedPostgresServer.start(settings);
    EmbeddedPostgresServerTest.write(crashed.url(), "committed");
    ProcessHandle postmaster = ProcessHandle.of(crashed.pid()).orElseThrow();
    postmaster.destroyForcibly(); // kill -9: postmaster.pid stays behind
    postmaster.onExit().get(30, TimeUnit.SECONDS);
    assertThat(Files.exists(settings.dataDir().resolve("pgdata/postmaster.pid"))).isTrue();
    crashed.abandon();

    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
      assertThat(EmbeddedPostgresServerTest.read(server.url())).containsExactly("committed");
    }
  }

  @Test
  void ignoresAPostmasterPidWhosePidNowBelongsToAnotherProcess() throws Exception {
    try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
      EmbeddedPostgresServerTest.write(server.url(), "kept");
    }
    // After a reboot or container restart the PID in a stale lock file often belongs to another process by now;
    // PostgreSQL alone refuses to start then ("Is another postmaster running?") if it may signal that process.
    Process unrelated = new ProcessBuilder(RunAs.forPostgres().wrap(List.of("sleep", "120"), null)).start();
    try {
      Path pidFile = settings.dataDir().resolve("pgdata/postmaster.pid");
      Files.writeString(pidFile, unrelated.pid() + "\n" + settings.dataDir().resolve("pgdata")
          + "\n1700000000\n5432\n\n127.0.0.1\n  5432001         0\nready   \n");
      try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(settings)) {
        assertThat(EmbeddedPostgresServerTest.read(server.url())).containsExactly("kept");
      }
      assertThat(unrelated.isAlive()).as("the unrelated process is left alone").isTrue();
    } finally {
      unrelated.destroyForcibly();
    }
  }

  private static Process startNodeProcess(Path dataDir) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
    String runAs = System.getProperty(RunAs.PROPERTY);
    if (runAs != null) {
      command.add("-D" + RunAs.PROPERTY + "=" + runAs);
    }
    command.addAll(List.of(PostgresNodeMain.class.getName(), dataDir.toString()));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** Reads the child's output until it reports its postmaster PID and port. */
  private static long[] awaitReady(Process node) throws Exception {
    CompletableFuture<long[]> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("READY ")) {
            String[] fields = line.split(" ");
            ready.complete(new long[] {Long.parseLong(fields[1]), Long.parseLong(fields[2])});
          }
        }
      } catch (Exception e) {
        ready.completeExceptionally(e);
      } finally {
        ready.completeExceptionally(new AssertionError("node process exited before it was ready"));
      }
    });
    reader.setDaemon(true);
    reader.start();
    return ready.get(60, TimeUnit.SECONDS);
  }
}
