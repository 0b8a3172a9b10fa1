package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.LedgerException;
import java.nio.file.Path;

/**
 * The data directory cannot be trusted: a write-ahead log record before the tail, or a snapshot, fails its
 * checksum or is inconsistent. The engine refuses to start rather than run with a different state.
 */
public final class LedgerCorruptionException extends LedgerException {
  private final Path file;
  private final long offset;

  public LedgerCorruptionException(Path file, long offset, String reason) {
    super("corrupt ledger data in " + file + " at byte offset " + offset + ": " + reason);
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  public long offset() {
    return offset;
  }
}
