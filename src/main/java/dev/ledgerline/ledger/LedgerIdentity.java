package dev.ledgerline.ledger;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Which ledger a data directory holds: a random id written once, next to the log, when the directory is first used
 * by a ledger node. The write lease names it, so a node whose directory holds another ledger (or was wiped) never
 * becomes the writer of the one the cluster has been using.
 */
public final class LedgerIdentity {
  static final String FILE = "ledger-id";

  private LedgerIdentity() {}

  /** The directory's ledger id, created (atomically and durably) if it has none yet. */
  public static UUID of(Path dataDir) throws IOException {
    Path file = dataDir.resolve(FILE);
    if (Files.exists(file)) return read(file);
    Files.createDirectories(dataDir);
    Path tmp = Files.createTempFile(dataDir, FILE, ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap((UUID.randomUUID() + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      try {
        // A hard link never replaces (rename would): if another process won the race, its id stands.
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException e) {
        // Read below.
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the id is re-read on every start anyway.
    }
    return read(file);
  }

  private static UUID read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " does not hold a ledger id (" + text.length() + " characters); refusing to guess "
          + "which ledger this directory holds", e);
    }
  }

  /**
   * The lease holder name of a data directory: this host, this kernel boot, and the directory's device and inode. The
   * same name means the same files under the same running kernel, where the engine's file lock proves that the
   * process that held the lease before is gone; a clone of the machine or a copy of the directory has another name.
   */
  public static String holder(Path dataDir) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = System.getenv().getOrDefault("HOSTNAME", "unknown-host");
    }
    String boot;
    try {
      boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
    } catch (IOException | RuntimeException e) {
      boot = "no-boot-id";
    }
    Path dir;
    String inode;
    try {
      dir = dataDir.toRealPath();
      inode = Files.getAttribute(dir, "unix:dev") + "." + Files.getAttribute(dir, "unix:ino");
    } catch (IOException | RuntimeException e) {
      dir = dataDir.toAbsolutePath().normalize();
      inode = "no-inode";
    }
    return host + "/" + boot + "/" + inode + ":" + dir;
  }
}
