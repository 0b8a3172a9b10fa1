package dev.ledgerline.ledger.engine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens the write-ahead log's files for reading and writing. The engine uses {@link #DEFAULT}; fault tests pass
 * channels that fail {@code force} on demand, to see what the engine answers when an fsync fails.
 */
@FunctionalInterface
public interface WalFiles {
  WalFiles DEFAULT = file -> FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
      StandardOpenOption.WRITE);

  FileChannel open(Path file) throws IOException;
}
