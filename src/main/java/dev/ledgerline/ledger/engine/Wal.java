package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.LedgerException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The write-ahead log's format (version 3): segment files of groups of records, each group sealed by a commit
 * marker, and beside each segment a commit file holding a second copy of every acknowledged group's marker
 * ({@link CommitFile}).
 *
 * <p><b>Segments.</b> The log is a sequence of files {@code ledger-<first op, 20 digits>.wal}. A segment starts
 * with a 64-byte header and holds consecutive op numbers; the next segment starts with the next op. The writer
 * starts a new segment at every snapshot (the new segment's first op is the snapshot's op + 1), so a snapshot
 * covers whole segments and older segments can be removed (see {@link LedgerEngine}). A segment is created under a
 * temporary name, its header fsync'd, then renamed: a segment file never has a torn header. Its commit file
 * {@code ledger-<first op>.commits} is created the same way just before it, and is removed or archived with it.
 *
 * <pre>
 * segment header (64 bytes)
 *  0 u64 magic "LLWAL003"
 *  8 u32 format version (3)
 * 12 u32 reserved (0)
 * 16 u64 first op number
 * 24     zeros
 * 60 u32 CRC32C of bytes 0..59
 *
 * record = header (32 bytes) + body, the body padded with zeros to a multiple of 32 bytes
 *  0 u32 header checksum (CRC32C of bytes 4..31)
 *  4 u32 body checksum (CRC32C of the unpadded body)
 *  8 u64 op number (1, 2, 3, ... without gaps)
 * 16 u64 timestamp (the request's prepare timestamp T)
 * 24 u16 operation (128 pulse, 129 create_accounts, 130 create_transfers, 200 setup_balances, 201 fence)
 * 26 u16 reserved (0)
 * 28 u32 body length in bytes (unpadded)
 *
 * commit marker (32 bytes), the last item of every group
 *  0 u32 header checksum (CRC32C of bytes 4..31)
 *  4 u32 group checksum (CRC32C of the group's record headers, in order; each header covers its body)
 *  8 u64 op number of the group's last record
 * 16 u64 byte offset of the group's first record in the segment
 * 24 u16 operation (255)
 * 26 u16 reserved (0)
 * 28 u32 number of records in the group
 * </pre>
 *
 * <p><b>Groups.</b> One group is what one fsync covers (group commit): its records and its marker go to the segment
 * in one write, then one fdatasync; then a copy of the marker goes to the commit file, then one fdatasync of that;
 * no record of a group is acknowledged before both return. Everything is 32-byte
 * aligned, so a marker or a record header never straddles a 512-byte sector.
 *
 * <p><b>What a crash can leave, and the recovery rule.</b> The writer overwrites space that was zero-filled and made
 * durable beforehand ({@link LogWriter#PREALLOCATE}), and starts a group only after the previous group's fsync. So a
 * crash can damage only the last group of the last segment, and only by leaving some of its sectors unwritten: each
 * sector of that group holds either what was written or zeros, in any combination (the disk may keep a later page and
 * lose an earlier one). The scan therefore decides, at the first damaged item (a header or body that fails its
 * checksum, a missing marker, a file that ends inside an item):
 * <ul>
 *   <li>it is <b>corruption</b>, and the engine refuses to start naming the file, offset and op, when the damaged
 *       group cannot be the unacknowledged last one: it is in a segment that has a successor, or an intact commit
 *       marker of this group or of a later group follows the damage (this group or a later one was fsync'd, so this
 *       one was acknowledged), or the damaged bytes are not zeros (a crash leaves zeros, not other bytes);</li>
 *   <li>otherwise it is a <b>torn tail</b>: the group never got its marker to disk, so its fsync never returned and
 *       none of it was acknowledged; the segment is truncated at the group's first byte.</li>
 * </ul>
 * From the segment alone, a lost page that takes the last group's marker with it looks like a crash before that
 * group's fsync. The commit file tells them apart: its copy of the marker is written only after the segment's fsync,
 * so if it records a group (or a later op) the segment no longer has, that group's marker was durable and the group
 * was acknowledged (or about to be): the engine refuses to start naming the segment, the offset and the op, instead
 * of truncating ({@link #checkCommits}). A group with neither marker never finished its fsync and is truncated. A
 * power loss that kept the last group's marker page but lost an earlier page of it looks like a lost page of an
 * acknowledged group: the engine refuses to start rather than guess, and an operator decides (cutting the segment at
 * the named offset drops that group).
 */
final class Wal {
  static final int HEADER = 32;
  static final int MARKER = 32;
  static final int SEGMENT_HEADER = 64;
  static final int ALIGN = 32;
  static final int SECTOR = 512;
  static final int OP_PULSE = 128;
  static final int OP_CREATE_ACCOUNTS = 129;
  static final int OP_CREATE_TRANSFERS = 130;
  static final int OP_SETUP_BALANCES = 200;
  static final int OP_FENCE = 201;
  static final int OP_COMMIT = 255;
  static final int BODY_MAX = 8190 * 128;
  static final int VERSION = 3;
  static final long MAGIC = 0x3330_3044_4157_4C4CL; // "LLWAL003" little-endian
  /** Segments of the previous format (no commit files), refused with a message saying so. */
  static final long MAGIC_V2 = 0x3230_3044_4157_4C4CL; // "LLWAL002"
  /** The version-1 log: one file without a header or commit markers. */
  static final String LEGACY_FILE = "ledger.wal";
  private static final Pattern SEGMENT_NAME = Pattern.compile("ledger-(\\d{20})\\.wal");

  private Wal() {}

  static int padded(int len) {
    return (len + ALIGN - 1) / ALIGN * ALIGN;
  }

  static String segmentName(long firstOp) {
    return String.format("ledger-%020d.wal", firstOp);
  }

  /** A segment file and the op number its name says it starts with. */
  record Segment(Path file, long firstOp) {}

  /** The data directory's segments in op order. */
  static List<Segment> segments(Path dir) throws IOException {
    List<Segment> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Matcher m = SEGMENT_NAME.matcher(p.getFileName().toString());
        if (m.matches()) out.add(new Segment(p, Long.parseLong(m.group(1))));
      }
    }
    out.sort((a, b) -> Long.compare(a.firstOp(), b.firstOp()));
    return out;
  }

  static ByteBuffer segmentHeader(long firstOp) {
    return fileHeader(SEGMENT_HEADER, MAGIC, VERSION, firstOp);
  }

  /** A log file's header (segment or commit file): magic, version, first op, and a CRC32C of it in the last 4 bytes. */
  static ByteBuffer fileHeader(int size, long magic, int version, long firstOp) {
    ByteBuffer h = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    h.putLong(0, magic).putInt(8, version).putLong(16, firstOp);
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, size - 4);
    h.putInt(size - 4, (int) crc.getValue());
    return h;
  }

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
    sealHeader(h);
    return h;
  }

  static ByteBuffer marker(int groupChecksum, long lastOp, long groupStart, int records) {
    ByteBuffer m = ByteBuffer.allocate(MARKER).order(ByteOrder.LITTLE_ENDIAN);
    m.putInt(4, groupChecksum);
    m.putLong(8, lastOp);
    m.putLong(16, groupStart);
    m.putShort(24, (short) OP_COMMIT);
    m.putInt(28, records);
    sealHeader(m);
    return m;
  }

  private static void sealHeader(ByteBuffer h) {
    CRC32C hc = new CRC32C();
    hc.update(h.array(), 4, HEADER - 4);
    h.putInt(0, (int) hc.getValue());
  }

  private static boolean headerValid(ByteBuffer h, CRC32C crc) {
    crc.reset();
    crc.update(h.array(), h.arrayOffset() + 4, HEADER - 4);
    return (int) crc.getValue() == h.getInt(0);
  }

  /** One record read back. */
  record Record(long offset, long opNumber, long timestamp, int operation, ByteBuffer body) {
    long end() {
      return offset + HEADER + padded(body.remaining());
    }
  }

  /** Receives the records of committed groups during a scan, in op order. */
  interface Visitor {
    void record(Record r);
  }

  /**
   * Result of scanning one segment: where its valid part ends, its last op, and whether a torn (unacknowledged)
   * last group was found there ({@code tornOffset} is that group's first byte; {@code tornAt} and {@code tornOp} the
   * first damaged item and its op).
   */
  record ScanResult(long validEnd, long lastOpNumber, boolean tornTail, String tornReason, long tornOffset,
      long tornAt, long tornOp) {
    static ScanResult clean(long end, long lastOp) {
      return new ScanResult(end, lastOp, false, null, -1, -1, -1);
    }
  }

  /**
   * Refuses to start if the segment's commit file records a committed op beyond what the scan kept: that group's
   * marker was durable, so it was acknowledged (or about to be), and its loss is corruption, not a torn tail.
   */
  static void checkCommits(Segment seg, ScanResult scan, CommitFile.Contents commits) {
    if (commits.lastOp() <= scan.lastOpNumber()) return;
    long at = scan.tornTail() ? scan.tornAt() : scan.validEnd();
    long op = scan.tornTail() ? scan.tornOp() : scan.lastOpNumber() + 1;
    throw new LedgerCorruptionException(seg.file(), at, "op " + op + ": "
        + (scan.tornTail() ? scan.tornReason() : "the segment ends after op " + scan.lastOpNumber()) + "; its commit "
        + "file " + CommitFile.name(seg.firstOp()) + " records the group from byte offset " + commits.groupStart()
        + " to op " + commits.lastOp() + " as committed, so that group's marker was durable and it was acknowledged");
  }

  /** Reads and checks a segment's header; returns the first op it names. */
  static long readSegmentHeader(FileChannel ch, Segment seg) throws IOException {
    if (ch.size() < SEGMENT_HEADER) {
      throw new LedgerCorruptionException(seg.file(), 0, "op " + seg.firstOp() + ": segment header missing (file of "
          + ch.size() + " bytes)");
    }
    ByteBuffer h = ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, h, 0);
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, SEGMENT_HEADER - 4);
    if (h.getLong(0) == MAGIC_V2) {
      throw new LedgerException(seg.file() + " is a version-2 write-ahead log segment (no commit files); this release "
          + "reads only version-3 logs. Start on a new data directory, or run the previous release to read this one");
    }
    if (h.getLong(0) != MAGIC) {
      throw new LedgerCorruptionException(seg.file(), 0, "op " + seg.firstOp() + ": not a version-3 log segment");
    }
    if ((int) crc.getValue() != h.getInt(SEGMENT_HEADER - 4)) {
      throw new LedgerCorruptionException(seg.file(), 0, "op " + seg.firstOp() + ": segment header checksum mismatch");
    }
    long first = h.getLong(16);
    if (first != seg.firstOp()) {
      throw new LedgerCorruptionException(seg.file(), 16, "segment header says first op " + first
          + " but its name says " + seg.firstOp());
    }
    return first;
  }

  /**
   * Scans one segment from its first record: records of committed groups go to {@code visitor} once their group's
   * marker checks out. {@code last} says whether this is the newest segment (only there may a torn tail be).
   */
  static ScanResult scan(FileChannel ch, Segment seg, boolean last, Visitor visitor) throws IOException {
    return new Scanner(ch, seg, last, visitor).run();
  }

  /** One pass over a segment; holds a group's records until its marker is seen. */
  private static final class Scanner {
    final FileChannel ch;
    final Segment seg;
    final boolean last;
    final Visitor visitor;
    final long size;
    final CRC32C crc = new CRC32C();
    final CRC32C groupCrc = new CRC32C();
    final ByteBuffer slot = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    final List<ByteBuffer> bodies = new ArrayList<>();
    final List<Record> group = new ArrayList<>();
    long expectedOp;

    Scanner(FileChannel ch, Segment seg, boolean last, Visitor visitor) throws IOException {
      this.ch = ch;
      this.seg = seg;
      this.last = last;
      this.visitor = visitor;
      this.size = ch.size();
    }

    ScanResult run() throws IOException {
      expectedOp = readSegmentHeader(ch, seg);
      long pos = SEGMENT_HEADER;
      while (true) {
        long groupStart = pos;
        group.clear();
        groupCrc.reset();
        while (true) {
          if (pos + HEADER > size) {
            if (group.isEmpty() && pos == size) return ScanResult.clean(pos, expectedOp - 1);
            return damaged(groupStart, pos, pos, size, true, "the file ends inside "
                + (group.isEmpty() ? "a record header" : "a group (no commit marker)"));
          }
          slot.clear();
          readFully(ch, slot, pos);
          if (isZero(slot)) {
            // Zeros at a group boundary with only zeros after them: the log's preallocated space, its clean end.
            if (group.isEmpty() && allZero(pos, size)) return ScanResult.clean(pos, expectedOp - 1);
            return damaged(groupStart, pos, pos, pos + HEADER, false,
                group.isEmpty() ? "zeros where a record header should be" : "zeros where the commit marker or the "
                    + "next record should be");
          }
          if (!headerValid(slot, crc)) {
            return damaged(groupStart, pos, pos, pos + HEADER, false, group.isEmpty()
                ? "record header checksum mismatch"
                : "checksum mismatch of the commit marker or the next record header");
          }
          int operation = slot.getShort(24) & 0xFFFF;
          if (operation == OP_COMMIT) {
            checkMarker(groupStart, pos);
            for (Record r : group) visitor.record(r);
            pos += MARKER;
            break;
          }
          long op = slot.getLong(8);
          int len = slot.getInt(28);
          // A header that passes its checksum was written whole: its contents are what the writer wrote.
          if (op != expectedOp) {
            throw corrupt(pos, op, "expected op number " + expectedOp + " but found " + op);
          }
          if (len < 0 || len > BODY_MAX) throw corrupt(pos, op, "bad body length " + len);
          long bodyEnd = pos + HEADER + padded(len);
          if (bodyEnd > size) {
            return damaged(groupStart, pos, pos + HEADER, size, true, "the file ends inside the body of op " + op);
          }
          ByteBuffer body = body(group.size(), len);
          readFully(ch, body, pos + HEADER);
          body.flip();
          crc.reset();
          crc.update(body.duplicate());
          if ((int) crc.getValue() != slot.getInt(4)) {
            return damaged(groupStart, pos, pos + HEADER, bodyEnd, false, "body checksum mismatch of op " + op);
          }
          groupCrc.update(slot.array(), 0, HEADER);
          group.add(new Record(pos, op, slot.getLong(16), operation, body.asReadOnlyBuffer()
              .order(ByteOrder.LITTLE_ENDIAN)));
          expectedOp++;
          pos = bodyEnd;
        }
      }
    }

    private ByteBuffer body(int index, int len) {
      while (bodies.size() <= index) bodies.add(null);
      ByteBuffer b = bodies.get(index);
      if (b == null || b.capacity() < len) {
        b = ByteBuffer.allocateDirect(Math.max(len, 64 * 1024)).order(ByteOrder.LITTLE_ENDIAN);
        bodies.set(index, b);
      }
      b.clear().limit(len);
      return b;
    }

    private void checkMarker(long groupStart, long pos) {
      long lastOp = slot.getLong(8);
      if (group.isEmpty()) throw corrupt(pos, lastOp, "commit marker without records");
      Record lastRecord = group.get(group.size() - 1);
      if (slot.getInt(28) != group.size() || slot.getLong(16) != groupStart || lastOp != lastRecord.opNumber()
          || slot.getInt(4) != (int) groupCrc.getValue()) {
        throw corrupt(pos, lastRecord.opNumber(), "commit marker does not match its group (marker: " + slot.getInt(28)
            + " records from byte offset " + slot.getLong(16) + " to op " + lastOp + "; found: " + group.size()
            + " records from byte offset " + groupStart + " to op " + lastRecord.opNumber() + ")");
      }
    }

    /**
     * The first damaged item of the group starting at {@code groupStart} is at {@code at}; its bytes span
     * {@code [from, to)} ({@code cut}: the file ends inside it). Decides torn tail or corruption (see the class
     * comment).
     */
    private ScanResult damaged(long groupStart, long at, long from, long to, boolean cut, String reason)
        throws IOException {
      String where = reason + (group.isEmpty() ? "" : " (group from byte offset " + groupStart + ", ops "
          + group.get(0).opNumber() + ".." + group.get(group.size() - 1).opNumber() + " read so far)");
      // The op the damage is in: the record at this offset, or for a damaged item after a record of the group (its
      // marker, or the next record's header), that last record's op.
      long op = at > groupStart && from == at && !group.isEmpty() ? group.get(group.size() - 1).opNumber()
          : expectedOp;
      if (!last) {
        throw corrupt(at, op, where + "; a later segment exists, so this group was acknowledged");
      }
      long marker = laterMarker(groupStart, at + ALIGN);
      if (marker >= 0) {
        throw corrupt(at, op, where + "; an intact commit marker follows at byte offset " + marker
            + ", so this group was acknowledged");
      }
      if (!cut && !zeroSector(from, to)) {
        throw corrupt(at, op, where + "; the damaged bytes are not zeros, which a crash cannot leave");
      }
      return new ScanResult(groupStart, expectedOp - 1 - group.size(), true, where, groupStart, at, op);
    }

    private LedgerCorruptionException corrupt(long at, long op, String reason) {
      return new LedgerCorruptionException(seg.file(), at, "op " + op + ": " + reason);
    }

    /** Offset of an intact commit marker of this group or a later one at or after {@code from}, or -1. */
    private long laterMarker(long groupStart, long from) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer s = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
      long pos = from;
      while (pos + HEADER <= size) {
        b.clear();
        if (size - pos < b.capacity()) b.limit((int) (size - pos));
        readFully(ch, b, pos);
        for (int i = 0; i + HEADER <= b.limit(); i += ALIGN) {
          if ((b.getShort(i + 24) & 0xFFFF) != OP_COMMIT) continue;
          s.clear();
          s.put(0, b, i, HEADER);
          long markerAt = pos + i;
          long start = s.getLong(16);
          if (headerValid(s, crc) && start >= groupStart && start < markerAt) return markerAt;
        }
        pos += b.limit() - b.limit() % ALIGN;
      }
      return -1;
    }

    /** True if some 512-byte sector's share of {@code [from, to)} is all zeros (an unwritten sector). */
    private boolean zeroSector(long from, long to) throws IOException {
      long s = from;
      ByteBuffer b = ByteBuffer.allocate(SECTOR);
      while (s < to) {
        long end = Math.min(to, (s / SECTOR + 1) * SECTOR);
        b.clear().limit((int) (end - s));
        readFully(ch, b, s);
        if (isZero(b.flip())) return true;
        s = end;
      }
      return false;
    }

    private boolean allZero(long from, long to) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(64 * 1024);
      long pos = from;
      while (pos < to) {
        b.clear();
        int n = ch.read(b, pos);
        if (n <= 0) break;
        if (!isZero(b.flip())) return false;
        pos += n;
      }
      return true;
    }
  }

  /** True if bytes 0 to the limit are all zero (whatever the position). */
  private static boolean isZero(ByteBuffer b) {
    for (int i = 0; i < b.limit(); i++) if (b.get(i) != 0) return false;
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
