package dev.ledgerline.ledger.wire;

import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * TigerBeetle 0.16.30's 256-byte message header ({@code src/vsr/message_header.zig}), little-endian: a frame shared by
 * every command, then 128 command-specific bytes. Only the commands a client sends or receives are spelled out.
 */
public final class WireHeader {
  public static final int SIZE = 256;
  /** {@code constants.message_size_max}: 1 MiB, header included. */
  public static final int MESSAGE_SIZE_MAX = 1 << 20;
  public static final int BODY_SIZE_MAX = MESSAGE_SIZE_MAX - SIZE;

  // ---- the frame ----
  static final int CHECKSUM = 0;
  static final int CHECKSUM_PADDING = 16;
  static final int CHECKSUM_BODY = 32;
  static final int CHECKSUM_BODY_PADDING = 48;
  static final int NONCE_RESERVED = 64;
  static final int CLUSTER = 80;
  static final int SIZE_FIELD = 96;
  static final int EPOCH = 100;
  static final int VIEW = 104;
  static final int RELEASE = 108;
  static final int PROTOCOL = 112;
  static final int COMMAND = 114;
  static final int REPLICA = 115;
  static final int RESERVED_FRAME = 116;
  static final int COMMAND_SPECIFIC = 128;

  // ---- request ----
  static final int REQUEST_PARENT = 128;
  static final int REQUEST_PARENT_PADDING = 144;
  static final int REQUEST_CLIENT = 160;
  static final int REQUEST_SESSION = 176;
  static final int REQUEST_TIMESTAMP = 184;
  static final int REQUEST_REQUEST = 192;
  static final int REQUEST_OPERATION = 196;
  static final int REQUEST_RESERVED = 197;

  // ---- reply ----
  static final int REPLY_REQUEST_CHECKSUM = 128;
  static final int REPLY_CONTEXT = 160;
  static final int REPLY_CLIENT = 192;
  static final int REPLY_OP = 208;
  static final int REPLY_COMMIT = 216;
  static final int REPLY_TIMESTAMP = 224;
  static final int REPLY_REQUEST = 232;
  static final int REPLY_OPERATION = 236;

  // ---- ping_client, pong_client, eviction ----
  static final int PING_CLIENT = 128;
  static final int PING_TIMESTAMP = 144;
  static final int PING_RESERVED = 152;
  static final int PONG_TIMESTAMP = 128;
  static final int EVICTION_CLIENT = 128;
  static final int EVICTION_REASON = 255;

  /** {@code vsr.Command}: 0..24 are all defined (12 and 21..23 deprecated); anything above is unknown. */
  public static final int COMMAND_MAX = 24;
  public static final int PING_CLIENT_COMMAND = 3;
  public static final int PONG_CLIENT_COMMAND = 4;
  public static final int REQUEST_COMMAND = 5;
  public static final int REPLY_COMMAND = 8;
  public static final int EVICTION_COMMAND = 18;

  /** {@code vsr.Version}. */
  public static final int PROTOCOL_VERSION = 0;

  /** {@code vsr.Operation}: the reserved VSR range, then the state machine's operations. */
  public static final int OPERATION_RESERVED = 0;
  public static final int OPERATION_ROOT = 1;
  public static final int OPERATION_REGISTER = 2;
  public static final int OPERATION_UPGRADE = 5;
  public static final int OPERATION_PULSE = 128;
  public static final int VSR_OPERATIONS_RESERVED = 128;

  private final byte[] bytes;
  private final ByteBuffer buf;

  private WireHeader(byte[] bytes) {
    this.bytes = bytes;
    this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A header over {@code bytes} (256 bytes, not copied). */
  public static WireHeader wrap(byte[] bytes) {
    if (bytes.length != SIZE) throw new IllegalArgumentException("a header is " + SIZE + " bytes");
    return new WireHeader(bytes);
  }

  /** A zeroed header with the frame fields every sent message shares. */
  static WireHeader frame(UInt128 cluster, int command, int release, int bodySize) {
    WireHeader h = new WireHeader(new byte[SIZE]);
    h.putU128(CLUSTER, cluster);
    h.buf.putInt(SIZE_FIELD, SIZE + bodySize);
    h.buf.putInt(RELEASE, release);
    h.buf.putShort(PROTOCOL, (short) PROTOCOL_VERSION);
    h.bytes[COMMAND] = (byte) command;
    return h;
  }

  public byte[] bytes() {
    return bytes;
  }

  // ---- checksums ----

  /** The checksum over bytes 16..256: it covers {@code checksum_body}, so set that first. */
  public Aegis128L.Tag calculateChecksum() {
    return Aegis128L.checksum(bytes, CHECKSUM_PADDING, SIZE - CHECKSUM_PADDING);
  }

  public boolean validChecksum() {
    return checksum().equals(toU128(calculateChecksum()));
  }

  public boolean validChecksumBody(byte[] body) {
    return checksumBody().equals(toU128(Aegis128L.checksum(body)));
  }

  /** Sets {@code checksum_body} over {@code body}, then {@code checksum}: the header is ready to send. */
  void seal(byte[] body) {
    putU128(CHECKSUM_BODY, toU128(Aegis128L.checksum(body)));
    putU128(CHECKSUM, toU128(calculateChecksum()));
  }

  static UInt128 toU128(Aegis128L.Tag t) {
    return UInt128.of(t.lo(), t.hi());
  }

  // ---- frame fields ----

  public UInt128 checksum() {
    return u128(CHECKSUM);
  }

  public UInt128 checksumBody() {
    return u128(CHECKSUM_BODY);
  }

  public UInt128 cluster() {
    return u128(CLUSTER);
  }

  /** Header plus body, unsigned. */
  public long size() {
    return Integer.toUnsignedLong(buf.getInt(SIZE_FIELD));
  }

  public int view() {
    return buf.getInt(VIEW);
  }

  /** {@code vsr.Release}: {@code patch | minor << 8 | major << 16}, compared as an unsigned number. */
  public int release() {
    return buf.getInt(RELEASE);
  }

  public int command() {
    return bytes[COMMAND] & 0xFF;
  }

  public int replica() {
    return bytes[REPLICA] & 0xFF;
  }

  // ---- request fields ----

  public UInt128 parent() {
    return u128(REQUEST_PARENT);
  }

  /** The client of a request, ping, eviction or reply (each keeps it at its own offset). */
  public UInt128 client() {
    return u128(switch (command()) {
      case PING_CLIENT_COMMAND -> PING_CLIENT;
      case EVICTION_COMMAND -> EVICTION_CLIENT;
      case REPLY_COMMAND -> REPLY_CLIENT;
      default -> REQUEST_CLIENT;
    });
  }

  public long session() {
    return buf.getLong(REQUEST_SESSION);
  }

  /** The request number, unsigned. */
  public long request() {
    return Integer.toUnsignedLong(buf.getInt(REQUEST_REQUEST));
  }

  public int operation() {
    return bytes[REQUEST_OPERATION] & 0xFF;
  }

  public long pingTimestamp() {
    return buf.getLong(PING_TIMESTAMP);
  }

  // ---- reply fields (for tests and the reply cache) ----

  public UInt128 requestChecksum() {
    return u128(REPLY_REQUEST_CHECKSUM);
  }

  public UInt128 context() {
    return u128(REPLY_CONTEXT);
  }

  public long op() {
    return buf.getLong(REPLY_OP);
  }

  public long commit() {
    return buf.getLong(REPLY_COMMIT);
  }

  public int evictionReason() {
    return bytes[EVICTION_REASON] & 0xFF;
  }

  // ---- builders of what a replica sends ----

  /** {@code pong_client}: echoes the ping's monotonic timestamp. */
  static WireHeader pong(UInt128 cluster, int release, long pingTimestamp) {
    WireHeader h = frame(cluster, PONG_CLIENT_COMMAND, release, 0);
    h.buf.putLong(PONG_TIMESTAMP, pingTimestamp);
    h.seal(new byte[0]);
    return h;
  }

  /** {@code eviction} of {@code client}; the release is the replica's own. */
  static WireHeader eviction(UInt128 cluster, int release, UInt128 client, int reason) {
    WireHeader h = frame(cluster, EVICTION_COMMAND, release, 0);
    h.putU128(EVICTION_CLIENT, client);
    h.bytes[EVICTION_REASON] = (byte) reason;
    h.seal(new byte[0]);
    return h;
  }

  /** {@code reply} to {@code request}: same release, client, request number and operation; op = commit. */
  static WireHeader reply(UInt128 cluster, WireHeader request, UInt128 context, long commit, long timestamp,
      byte[] body) {
    WireHeader h = frame(cluster, REPLY_COMMAND, request.release(), body.length);
    h.putU128(REPLY_REQUEST_CHECKSUM, request.checksum());
    h.putU128(REPLY_CONTEXT, context);
    h.putU128(REPLY_CLIENT, request.client());
    h.buf.putLong(REPLY_OP, commit);
    h.buf.putLong(REPLY_COMMIT, commit);
    h.buf.putLong(REPLY_TIMESTAMP, timestamp);
    h.buf.putInt(REPLY_REQUEST, (int) request.request());
    h.bytes[REPLY_OPERATION] = (byte) request.operation();
    h.seal(body);
    return h;
  }

  /** A request as a client builds it (tests and the fuzzer). */
  public static WireHeader request(UInt128 cluster, int release, UInt128 client, UInt128 parent, long session,
      long request, int operation, byte[] body) {
    WireHeader h = frame(cluster, REQUEST_COMMAND, release, body.length);
    h.putU128(REQUEST_PARENT, parent);
    h.putU128(REQUEST_CLIENT, client);
    h.buf.putLong(REQUEST_SESSION, session);
    h.buf.putInt(REQUEST_REQUEST, (int) request);
    h.bytes[REQUEST_OPERATION] = (byte) operation;
    h.seal(body);
    return h;
  }

  /** A ping as a client builds it (tests). */
  public static WireHeader ping(UInt128 cluster, int release, UInt128 client, long timestamp) {
    WireHeader h = frame(cluster, PING_CLIENT_COMMAND, release, 0);
    h.putU128(PING_CLIENT, client);
    h.buf.putLong(PING_TIMESTAMP, timestamp);
    h.seal(new byte[0]);
    return h;
  }

  // ---- validation: Header.invalid() for what a client may send ----

  /**
   * Why this header is invalid ({@code Header.invalid()} and the command's {@code invalid_header()}), or null. Only
   * {@code ping_client} and {@code request} are valid from a client; the checksums are checked elsewhere.
   */
  public String invalid(UInt128 emptyBodyChecksum) {
    if (!zero(CHECKSUM_PADDING, 16)) return "checksum_padding != 0";
    if (!zero(CHECKSUM_BODY_PADDING, 16)) return "checksum_body_padding != 0";
    if (!zero(NONCE_RESERVED, 16)) return "nonce_reserved != 0";
    if (size() < SIZE) return "size < @sizeOf(Header)";
    if (size() > MESSAGE_SIZE_MAX) return "size > message_size_max";
    if (buf.getInt(EPOCH) != 0) return "epoch != 0";
    if (!zero(RESERVED_FRAME, 12)) return "reserved_frame != 0";
    if ((buf.getShort(PROTOCOL) & 0xFFFF) != PROTOCOL_VERSION) return "protocol != Version";
    return switch (command()) {
      case PING_CLIENT_COMMAND -> invalidPing(emptyBodyChecksum);
      case REQUEST_COMMAND -> invalidRequest();
      default -> "command " + command() + " is not sent by clients";
    };
  }

  private String invalidPing(UInt128 emptyBodyChecksum) {
    if (size() != SIZE) return "size != @sizeOf(Header)";
    if (!checksumBody().equals(emptyBodyChecksum)) return "checksum_body != expected";
    if (release() == 0) return "release == 0";
    if (replica() != 0) return "replica != 0";
    if (view() != 0) return "view != 0";
    if (u128(PING_CLIENT).isZero()) return "client == 0";
    if (!zero(PING_RESERVED, SIZE - PING_RESERVED)) return "reserved != 0";
    return null;
  }

  private String invalidRequest() {
    if (release() == 0) return "release == 0";
    if (!zero(REQUEST_PARENT_PADDING, 16)) return "parent_padding != 0";
    if (buf.getLong(REQUEST_TIMESTAMP) != 0) return "timestamp != 0";
    int op = operation();
    if (op == OPERATION_RESERVED) return "operation == .reserved";
    if (op == OPERATION_ROOT) return "operation == .root";
    if (op == OPERATION_REGISTER) {
      if (replica() != 0) return "register: replica != 0";
      if (client().isZero()) return "register: client == 0";
      if (!parent().isZero()) return "register: parent != 0";
      if (session() != 0) return "register: session != 0";
      if (request() != 0) return "register: request != 0";
      if (size() != SIZE && size() != SIZE + RegisterBodies.REGISTER_REQUEST_SIZE) {
        return "register: size != @sizeOf(Header) [+ @sizeOf(vsr.RegisterRequest)]";
      }
    } else if (op == OPERATION_PULSE) {
      // Pulses and upgrades come from the replica itself, never with a client.
      if (!client().isZero()) return "pulse: client != 0";
    } else if (op == OPERATION_UPGRADE) {
      if (!client().isZero()) return "upgrade: client != 0";
    } else {
      // The other VSR operations (reconfigure, upgrade) and the state machine's are checked by the replica.
      if (replica() != 0) return "replica != 0";
      if (client().isZero()) return "client == 0";
      if (session() == 0) return "session == 0";
      if (request() == 0) return "request == 0";
    }
    if (!zero(REQUEST_RESERVED, SIZE - REQUEST_RESERVED)) return "reserved != 0";
    return null;
  }

  // ---- primitives ----

  private UInt128 u128(int off) {
    return Wire.getU128(buf, off);
  }

  private void putU128(int off, UInt128 v) {
    Wire.putU128(buf, off, v);
  }

  private boolean zero(int off, int len) {
    for (int i = off; i < off + len; i++) {
      if (bytes[i] != 0) return false;
    }
    return true;
  }
}
