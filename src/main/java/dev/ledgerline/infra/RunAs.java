package dev.ledgerline.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity embedded servers run under. PostgreSQL's {@code initdb} and {@code postgres} refuse to run as root,
 * so when the node is root they run either inside a fresh user namespace ({@code unshare -U}: the same files, but the
 * process is not root there and root-owned files look like its own), or, where user namespaces are unavailable
 * (typical in containers), as the unprivileged {@code nobody} user via {@code setpriv} with the data chowned to it.
 *
 * <p>The system property {@code embedded.run-as} ({@code current-user}, {@code user-namespace},
 * {@code unprivileged-user}) overrides the detection.
 */
public enum RunAs {
  /** Not root: run the binaries as we are. */
  CURRENT_USER,
  /** Root, inside an unprivileged user namespace; files stay owned by root. */
  USER_NAMESPACE,
  /** Root, switched to the {@code nobody} user; the server's files are owned by it. */
  UNPRIVILEGED_USER;

  private static final Logger LOG = LoggerFactory.getLogger(RunAs.class);
  public static final String PROPERTY = "embedded.run-as";

  private static volatile RunAs detectedForPostgres;
  private static volatile long[] nobody;
  private static volatile Boolean pdeathsig;

  /** The way to run PostgreSQL here (detected once per JVM). */
  public static RunAs forPostgres() {
    RunAs forced = fromProperty();
    if (forced != null) {
      return forced;
    }
    RunAs result = detectedForPostgres;
    if (result == null) {
      result = detectForPostgres();
      detectedForPostgres = result;
      LOG.debug("Embedded PostgreSQL runs as: {}", result);
    }
    return result;
  }

  /**
   * redis-server could run as root, but need not: an in-memory server drops to nobody when it can. One that keeps an
   * append-only file runs as the node's user: nobody may not be able to reach the data directory (a root user's
   * checkout under /root, mode 700), and the file must stay readable to the node across restarts.
   */
  public static RunAs forRedis(boolean persistent) {
    return !persistent && Processes.isRoot() && Processes.onPath("setpriv") ? UNPRIVILEGED_USER : CURRENT_USER;
  }

  private static RunAs fromProperty() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return RunAs.valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new DataServiceException(PROPERTY + " must be current-user, user-namespace or unprivileged-user, got '"
          + value + "'");
    }
  }

  private static RunAs detectForPostgres() {
    if (!Processes.isRoot()) {
      return CURRENT_USER;
    }
    if (Processes.isLinux() && Processes.onPath("unshare")) {
      try {
        Processes.Result id = Processes.run(List.of("unshare", "-U", "id", "-u"), Duration.ofSeconds(10));
        if (id.exitCode() == 0 && !id.output().equals("0")) {
          return USER_NAMESPACE;
        }
        LOG.debug("User namespaces unavailable ({}), falling back to setpriv", id.output());
      } catch (IOException e) {
        LOG.debug("User namespaces unavailable", e);
      }
    }
    if (Processes.onPath("setpriv")) {
      return UNPRIVILEGED_USER;
    }
    throw new DataServiceException("The node runs as root and PostgreSQL refuses to: neither user namespaces "
        + "(unshare -U) nor setpriv (util-linux) are available to run it unprivileged. Run the node as a regular "
        + "user, install util-linux, or use an external PostgreSQL (postgres.mode: external).");
  }

  /**
   * The command line that runs {@code command} under this identity. A non-null {@code deathSignal} (e.g. "INT")
   * is delivered to the process if the JVM dies, so a killed node does not leave its servers behind; it needs
   * setpriv and is silently skipped where that is missing.
   */
  public List<String> wrap(List<String> command, String deathSignal) {
    List<String> full = new ArrayList<>();
    boolean deathSignalled = deathSignal != null && pdeathsigSupported();
    if (this == UNPRIVILEGED_USER) {
      long[] ids = nobody();
      full.addAll(List.of("setpriv", "--reuid=" + ids[0], "--regid=" + ids[1], "--clear-groups"));
    } else if (deathSignalled) {
      full.add("setpriv");
    }
    if (deathSignalled) {
      full.addAll(List.of("--pdeathsig", deathSignal));
    }
    if (this == USER_NAMESPACE) {
      full.addAll(List.of("unshare", "-U"));
    }
    full.addAll(command);
    return full;
  }

  /** setpriv learned --pdeathsig in util-linux 2.33; older ones reject it. */
  public static boolean pdeathsigSupported() {
    Boolean supported = pdeathsig;
    if (supported == null) {
      supported = false;
      if (Processes.isLinux() && Processes.onPath("setpriv")) {
        try {
          supported = Processes.run(List.of("setpriv", "--pdeathsig", "TERM", "true"), Duration.ofSeconds(10))
              .exitCode() == 0;
        } catch (IOException e) {
          LOG.debug("setpriv --pdeathsig unavailable", e);
        }
      }
      pdeathsig = supported;
    }
    return supported;
  }

  /** Makes {@code tree} owned by the identity the server runs as (only root needs and can do this). */
  public void adopt(Path tree) {
    if (this == CURRENT_USER || !Files.exists(tree, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    long uid = this == UNPRIVILEGED_USER ? nobody()[0] : Processes.currentUid();
    long gid = this == UNPRIVILEGED_USER ? nobody()[1] : Processes.currentGid();
    try {
      if (((Number) Files.getAttribute(tree, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue() == uid) {
        return;
      }
      LOG.info("Changing the owner of {} to uid {} for the embedded server", tree, uid);
      try (Stream<Path> paths = Files.walk(tree)) {
        for (Path p : (Iterable<Path>) paths::iterator) {
          Files.setAttribute(p, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(p, "unix:gid", (int) gid, LinkOption.NOFOLLOW_LINKS);
        }
      }
    } catch (IOException e) {
      throw new DataDirectoryException("Cannot change the owner of " + tree + " to uid " + uid + ": " + e, e);
    }
  }

  /** uid and gid of the {@code nobody} user. */
  public static long[] nobody() {
    long[] ids = nobody;
    if (ids == null) {
      ids = new long[] {65534, 65534};
      try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
        String entry = lines.filter(l -> l.startsWith("nobody:")).findFirst().orElse(null);
        if (entry != null) {
          String[] fields = entry.split(":");
          ids = new long[] {Long.parseLong(fields[2]), Long.parseLong(fields[3])};
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("Cannot read /etc/passwd, assuming nobody is 65534", e);
      }
      nobody = ids;
    }
    return ids;
  }
}
