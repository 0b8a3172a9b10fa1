package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataDirectoryException;
import dev.ledgerline.infra.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a crashed node left on a cluster directory: PostgreSQL processes still running there and a stale
 * {@code postmaster.pid}, which would make the next server refuse to start.
 */
final class StalePostmaster {

  private static final Logger LOG = LoggerFactory.getLogger(StalePostmaster.class);

  private StalePostmaster() {
  }

  /** Stops servers a crashed node left running on this cluster and removes a stale postmaster.pid. */
  static void recover(Path pgData, Duration stopTimeout) {
    Path pidFile = pgData.resolve("postmaster.pid");
    List<ProcessHandle> leftovers = processesUsing(pgData);
    if (!leftovers.isEmpty()) {
      LOG.warn("Found {} PostgreSQL process(es) left running on {} by an earlier node; stopping them",
          leftovers.size(), pgData);
      // SIGINT is PostgreSQL's fast shutdown. Signalled from here rather than with pg_ctl, which may lack the
      // rights when the earlier node ran the server under another identity.
      postmasterOf(pidFile).filter(leftovers::contains).ifPresent(p -> Processes.signal("INT", p.pid()));
      long deadline = System.nanoTime() + stopTimeout.toNanos();
      for (ProcessHandle p : leftovers) {
        awaitExit(p, deadline);
      }
      for (ProcessHandle p : leftovers) {
        if (p.isAlive()) {
          LOG.warn("Killing left-over PostgreSQL process {}", p.pid());
          p.destroyForcibly();
          awaitExit(p, System.nanoTime() + stopTimeout.toNanos());
        }
      }
    }
    if (Files.exists(pidFile) && (Processes.isLinux() || !pidAlive(pidFile))) {
      // No process works in this directory any more (checked above on Linux), so the lock file is stale even if
      // its PID now belongs to some unrelated process, which would make PostgreSQL refuse to start.
      LOG.info("Removing stale {}", pidFile);
      try {
        Files.delete(pidFile);
      } catch (IOException e) {
        throw new DataDirectoryException("Cannot remove stale " + pidFile + ": " + e, e);
      }
    }
  }

  /**
   * Processes working on the cluster. On Linux: those whose working directory is the cluster (the postmaster and
   * all its children chdir there). Elsewhere: the postmaster named in postmaster.pid, if it is a postgres.
   */
  private static List<ProcessHandle> processesUsing(Path dir) {
    List<ProcessHandle> found = new ArrayList<>();
    if (!Processes.isLinux()) {
      postmasterOf(dir.resolve("postmaster.pid"))
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false))
          .ifPresent(found::add);
      return found;
    }
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses().forEach(p -> {
      if (p.pid() == self) {
        return;
      }
      try {
        if (Files.isSameFile(Path.of("/proc", Long.toString(p.pid()), "cwd"), dir)) {
          found.add(p);
        }
      } catch (IOException | SecurityException e) {
        // Gone, or not ours to inspect.
      }
    });
    return found;
  }

  private static boolean pidAlive(Path pidFile) {
    return postmasterOf(pidFile).isPresent();
  }

  private static Optional<ProcessHandle> postmasterOf(Path pidFile) {
    try {
      String first = Files.readAllLines(pidFile).get(0).trim();
      return ProcessHandle.of(Long.parseLong(first)).filter(ProcessHandle::isAlive);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static void awaitExit(ProcessHandle p, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return;
    }
    try {
      p.onExit().get(left, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // Timed out: the caller checks isAlive().
    }
  }
}
