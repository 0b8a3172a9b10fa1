package dev.ledgerline.ledger.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * A segment's commit file ({@code ledger-<first op>.commits}): a second, independent record of which groups were
 * acknowledged. After a group's records and marker are durable in the segment, a copy of its 32-byte commit marker is
 * appended here and made durable too, and only then is any record of the group acknowledged.
 *
 * <pre>
 * header (64 bytes)
 *  0 u64 magic "LLCMT003"
 *  8 u32 format version (3)
 * 12 u32 reserved (0)
 * 16 u64 the segment's first op number
 * 24     zeros
 * 60 u32 CRC32C of bytes 0..59
 *
 * then one 32-byte entry per group, in order: a byte-for-byte copy of the group's commit marker (see {@link Wal})
 * </pre>
 *
 * <p><b>Why the order matters.</b> An entry is written only after its group's segment write was fsync'd, so an
 * intact entry proves that the group's marker was on disk: if the segment no longer has it, a page of an
 * acknowledged (or at least durable) group was lost, and the engine refuses to start. Without an entry the group may
 * have been cut short by a crash before its fsync, and a torn last group is truncated as before. (Syncing the two
 * files concurrently would save one fsync of latency but let a crash leave an entry whose group never reached the
 * segment: a refusal after an ordinary power loss.)
 *
 * <p><b>Damage here.</b> The file only adds evidence; the segment's own markers prove their groups. An entry that
 * fails its checksum (a torn entry write, a lost page) is ignored and counted; a damaged header makes the file
 * unreadable as a whole and it is started afresh. Either way the node starts; the only thing lost is the extra
 * protection for the groups whose entries are gone. A missing commit file of the newest segment is refused: it is
 * created (and made durable) before its segment, so no crash can leave a segment without one.
 */
final class CommitFile {
  static final int HEADER = 64;
  static final int ENTRY = Wal.MARKER;
  static final int VERSION = 3;
  static final long MAGIC = 0x3330_3054_4D43_4C4CL; // "LLCMT003" little-endian
  /** The file grows in zero-filled steps of this size (2,048 groups), each made durable once. */
  static final long PREALLOCATE = 64L << 10;

  private CommitFile() {}

  static String name(long firstOp) {
    return String.format("ledger-%020d.commits", firstOp);
  }

  static Path of(Wal.Segment seg) {
    return seg.file().resolveSibling(name(seg.firstOp()));
  }

  static ByteBuffer header(long firstOp) {
    return Wal.fileHeader(HEADER, MAGIC, VERSION, firstOp);
  }

  /**
   * What a commit file says: the highest op an intact entry names ({@code lastOp}, 0 if none) and that entry's group
   * start; where the next entry goes ({@code appendAt}: after the last slot that is not zeros); how many slots before
   * that are damaged; and whether the header was unreadable (the file must be started afresh).
   */
  record Contents(long lastOp, long groupStart, long appendAt, int damaged, boolean headerDamaged) {}

  static Contents read(FileChannel ch, long firstOp) throws IOException {
    long size = ch.size();
    if (size < HEADER) return new Contents(0, -1, HEADER, 0, true);
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    Wal.readFully(ch, h, 0);
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, HEADER - 4);
    if (h.getLong(0) != MAGIC || (int) crc.getValue() != h.getInt(HEADER - 4) || h.getLong(16) != firstOp) {
      return new Contents(0, -1, HEADER, 0, true);
    }
    long lastOp = 0;
    long groupStart = -1;
    long appendAt = HEADER;
    int damaged = 0;
    int zerosSinceLast = 0;
    ByteBuffer b = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    long pos = HEADER;
    while (pos + ENTRY <= size) {
      b.clear();
      long n = Math.min(b.capacity(), (size - pos) / ENTRY * ENTRY);
      b.limit((int) n);
      Wal.readFully(ch, b, pos);
      for (int i = 0; i < n; i += ENTRY) {
        if (zero(b, i)) {
          zerosSinceLast++;
          continue;
        }
        // Zero slots before a written one are entries that were lost.
        damaged += zerosSinceLast;
        zerosSinceLast = 0;
        appendAt = pos + i + ENTRY;
        crc.reset();
        crc.update(b.array(), i + 4, ENTRY - 4);
        if ((int) crc.getValue() != b.getInt(i) || (b.getShort(i + 24) & 0xFFFF) != Wal.OP_COMMIT) {
          damaged++;
          continue;
        }
        long op = b.getLong(i + 8);
        if (op > lastOp) {
          lastOp = op;
          groupStart = b.getLong(i + 16);
        }
      }
      pos += n;
    }
    return new Contents(lastOp, groupStart, appendAt, damaged, false);
  }

  private static boolean zero(ByteBuffer b, int at) {
    for (int i = 0; i < ENTRY; i += 8) if (b.getLong(at + i) != 0) return false;
    return true;
  }
}
