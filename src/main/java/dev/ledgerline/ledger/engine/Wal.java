package dev.ledgerline.ledger.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The write-ahead log's record format: a 32-byte header then the body (the request's raw events).
 *
 * <pre>
 *  0 u32 header checksum (CRC32C of bytes 4..31)
 *  4 u32 body checksum (CRC32C of the body)
 *  8 u64 op number (1, 2, 3, ... without gaps)
 * 16 u64 timestamp (the request's prepare timestamp T)
 * 24 u16 operation (128 pulse, 129 create_accounts, 130 create_transfers, 200 setup_balances)
 * 26 u16 reserved (0)
 * 28 u32 body length in bytes
 * </pre>
 */
final class Wal {
  static final int HEADER = 32;
  static final int OP_PULSE = 128;
  static final int OP_CREATE_ACCOUNTS = 129;
  static final int OP_CREATE_TRANSFERS = 130;
  static final int OP_SETUP_BALANCES = 200;
  static final int BODY_MAX = 8190 * 128;
  static final String FILE = "ledger.wal";

  private Wal() {}

  static ByteBuffer header(long opNumber, long timestamp, int operation, ByteBuffer body) {
    int len = body == null ? 0 : body.remaining();
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    if (body != null) crc.update(body.duplicate());
    h.putInt(4, (int) crc.getValue());
    h.putLong(8, opNumber);
    h.putLong(16, timestamp);
    h.putShort(24, (short) operation);
    h.putShort(26, (short) 0);
    h.putInt(28, len);
    CRC32C hc = new CRC32C();
    hc.update(h.array(), 4, HEADER - 4);
    h.putInt(0, (int) hc.getValue());
    return h;
  }

  /** One record read back. */
  record Record(long offset, long opNumber, long timestamp, int operation, ByteBuffer body) {
    long end() {
      return offset + HEADER + body.remaining();
    }
  }

  /** Receives records during a scan. */
  interface Visitor {
    void record(Record r);
  }

  /** Result of a scan: where the valid log ends, and whether a torn tail was found there. */
  record ScanResult(long validEnd, long lastOpNumber, boolean tornTail, String tornReason) {}

  /**
   * Reads records from {@code start} (expecting op number {@code firstOp}) to the end of the file. A torn tail (the
   * last record incomplete, or the last record failing its body checksum) ends the scan; anything wrong before the
   * tail is a {@link LedgerCorruptionException} naming the offset.
   */
  static ScanResult scan(FileChannel ch, Path file, long start, long firstOp, Visitor visitor) throws IOException {
    final long size = ch.size();
    if (start > size) {
      throw new LedgerCorruptionException(file, size, "log ends before the snapshot's position " + start);
    }
    long pos = start;
    long expectedOp = firstOp;
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer body = ByteBuffer.allocateDirect(BODY_MAX).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    while (pos < size) {
      if (size - pos < HEADER) {
        return new ScanResult(pos, expectedOp - 1, true, "partial record header");
      }
      h.clear();
      readFully(ch, h, pos);
      crc.reset();
      crc.update(h.array(), 4, HEADER - 4);
      if ((int) crc.getValue() != h.getInt(0)) {
        // Zeros from here on: the log's preallocated space, not a record.
        if (allZero(ch, pos, size)) return new ScanResult(pos, expectedOp - 1, false, null);
        // A header cut short by a crash inside preallocated space: only zeros follow it.
        if (allZero(ch, pos + HEADER, size)) return new ScanResult(pos, expectedOp - 1, true, "partial record header");
        throw new LedgerCorruptionException(file, pos, "record header checksum mismatch");
      }
      long op = h.getLong(8);
      int len = h.getInt(28);
      int operation = h.getShort(24) & 0xFFFF;
      if (op != expectedOp) {
        throw new LedgerCorruptionException(file, pos, "expected op number " + expectedOp + " but found " + op);
      }
      if (len < 0 || len > BODY_MAX) throw new LedgerCorruptionException(file, pos, "bad body length " + len);
      if (pos + HEADER + len > size) {
        return new ScanResult(pos, expectedOp - 1, true, "partial record body");
      }
      body.clear().limit(len);
      readFully(ch, body, pos + HEADER);
      body.flip();
      crc.reset();
      crc.update(body.duplicate());
      if ((int) crc.getValue() != h.getInt(4)) {
        if (pos + HEADER + len == size || allZero(ch, pos + HEADER + len, size)) {
          return new ScanResult(pos, expectedOp - 1, true, "last record checksum");
        }
        throw new LedgerCorruptionException(file, pos, "record body checksum mismatch");
      }
      visitor.record(new Record(pos, op, h.getLong(16), operation, body.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN)));
      pos += HEADER + len;
      expectedOp++;
    }
    return new ScanResult(pos, expectedOp - 1, false, null);
  }

  private static boolean allZero(FileChannel ch, long from, long size) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
    long pos = from;
    while (pos < size) {
      b.clear();
      int n = ch.read(b, pos);
      if (n <= 0) break;
      for (int i = 0; i < n; i++) if (b.get(i) != 0) return false;
      pos += n;
    }
    return true;
  }

  static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos);
      if (n < 0) throw new IOException("unexpected end of file at " + pos);
      pos += n;
    }
  }
}
