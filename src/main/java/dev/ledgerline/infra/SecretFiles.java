package dev.ledgerline.infra;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Development secrets on disk (JWT keys, the vault key): owner-only files, created once, never half-written. */
public final class SecretFiles {
  public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private SecretFiles() {
  }

  /** Whether the file system of {@code p} has POSIX permissions (not on Windows). */
  public static boolean posix(Path p) {
    return p.toAbsolutePath().getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /**
   * Writes {@code content} to {@code file} unless the file exists: false when another process's file won. The
   * directory is created 0700; the content goes to a 0600 temporary file, is flushed whole, and only then gets its
   * name, so nobody sees a readable or half-written secret.
   */
  public static boolean createOnce(Path file, String tmpPrefix, byte[] content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      if (posix(dir)) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      }
    }
    Path tmp = posix(dir)
        ? Files.createTempFile(dir, tmpPrefix, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
        : Files.createTempFile(dir, tmpPrefix, ".tmp");
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        out.write(ByteBuffer.wrap(content));
        out.force(true);
      }
      return publish(tmp, file);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Makes {@code tmp} the file unless one exists already; false when another caller's file won. */
  private static boolean publish(Path tmp, Path file) throws IOException {
    try {
      Files.createLink(file, tmp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException e) {
      // No hard links on this file system: a move without REPLACE_EXISTING, which refuses an existing file but
      // checks and renames in two steps.
      try {
        Files.move(tmp, file);
        return true;
      } catch (FileAlreadyExistsException raced) {
        return false;
      }
    }
  }
}
