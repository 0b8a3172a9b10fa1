package dev.ledgerline.ledger.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The header codec, the frame parser and the session protocol, checked against TigerBeetle 0.16.30's rules. */
class WireProtocolTest {
  private static final String EMPTY_CHECKSUM = "83cc600dc4e3e7e62d4055826174f149";

  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static String hex(byte[] b, int from, int to) {
    return HexFormat.of().formatHex(b, from, to);
  }

  private static void assertSealed(WireHeader h, byte[] body) {
    assertThat(h.validChecksum()).isTrue();
    assertThat(h.validChecksumBody(body)).isTrue();
  }

  // ---- golden bytes: fields at TigerBeetle's offsets, spelled out here independently of WireHeader ----

  @Test
  void pongGoldenBytes() {
    byte[] b = WireHeader.pong(UInt128.of(0x0102030405060708L, 0x1112131415161718L), 0x101E, 0xAABBCCDDL).bytes();
    assertThat(hex(b, 32, 48)).as("checksum_body of the empty body").isEqualTo(EMPTY_CHECKSUM);
    assertThat(hex(b, 80, 96)).isEqualTo("08070605040302011817161514131211");
    assertThat(le(b).getInt(96)).as("size").isEqualTo(256);
    assertThat(hex(b, 100, 108)).as("epoch, view").isEqualTo("0000000000000000");
    assertThat(hex(b, 108, 112)).as("release 0.16.30").isEqualTo("1e100000");
    assertThat(hex(b, 112, 116)).as("protocol 0, command pong_client 4, replica 0").isEqualTo("00000400");
    assertThat(le(b).getLong(128)).isEqualTo(0xAABBCCDDL);
    for (int i = 136; i < 256; i++) assertThat(b[i]).isZero();
    assertThat(hex(b, 16, 32) + hex(b, 48, 80)).isEqualTo("0".repeat(96));
    assertSealed(WireHeader.wrap(b), new byte[0]);
  }

  @Test
  void evictionGoldenBytes() {
    byte[] b = WireHeader.eviction(UInt128.ZERO, 0x101E, UInt128.of(42, 1), WireProtocol.NO_SESSION).bytes();
    assertThat(b[114]).as("command eviction").isEqualTo((byte) 18);
    assertThat(le(b).getLong(128)).isEqualTo(42);
    assertThat(le(b).getLong(136)).isEqualTo(1);
    for (int i = 144; i < 255; i++) assertThat(b[i]).isZero();
    assertThat(b[255]).as("reason no_session").isEqualTo((byte) 1);
    assertThat(hex(b, 32, 48)).isEqualTo(EMPTY_CHECKSUM);
  }

  @Test
  void replyGoldenBytes() {
    WireClientStub c = new WireClientStub(99);
    WireHeader register = c.register();
    WireHeader reply = c.peer.last();
    byte[] b = reply.bytes();
    byte[] body = c.peer.bodies.get(0);
    assertThat(b[114]).as("command reply").isEqualTo((byte) 8);
    assertThat(le(b).getInt(96)).as("size: header + RegisterResult").isEqualTo(256 + 64);
    assertThat(le(b).getInt(108)).as("release = the request's").isEqualTo(register.release());
    assertThat(hex(b, 128, 144)).as("request_checksum").isEqualTo(hex(register.bytes(), 0, 16));
    assertThat(hex(b, 144, 160) + hex(b, 176, 192)).as("paddings").isEqualTo("0".repeat(64));
    assertThat(le(b).getLong(192)).as("client").isEqualTo(99);
    assertThat(le(b).getLong(208)).as("op = commit").isEqualTo(le(b).getLong(216)).isPositive();
    assertThat(le(b).getLong(224)).as("timestamp").isPositive();
    assertThat(le(b).getInt(232)).as("request").isZero();
    assertThat(b[236]).as("operation register").isEqualTo((byte) 2);
    for (int i = 237; i < 256; i++) assertThat(b[i]).isZero();
    assertThat(le(body).getInt(0)).as("batch_size_limit").isEqualTo(1_048_320);
    for (int i = 4; i < 64; i++) assertThat(body[i]).isZero();
    assertSealed(reply, body);
  }

  // ---- framing ----

  private static byte[] frame(WireHeader h, byte[] body) {
    return Buffer.buffer(h.bytes()).appendBytes(body).getBytes();
  }

  @Test
  void framesSplitAnywhereAreReassembled() throws Exception {
    byte[] body = new byte[128 * 3];
    body[5] = 9;
    WireHeader h = WireHeader.request(WireClientStub.CLUSTER, WireProtocol.RELEASE, UInt128.ONE, UInt128.ONE, 1, 1,
        WireOperations.CREATE_ACCOUNTS, body);
    byte[] two = Buffer.buffer(frame(h, body)).appendBytes(frame(h, body)).getBytes();
    FrameParser p = new FrameParser(WireClientStub.CLUSTER);
    List<FrameParser.Frame> out = new ArrayList<>();
    for (byte x : two) p.feed(Buffer.buffer(new byte[] {x}), out::add);
    assertThat(out).hasSize(2);
    assertThat(out.get(1).body()).isEqualTo(body);
    assertThat(out.get(1).header().bytes()).isEqualTo(h.bytes());
  }

  static Stream<Arguments> malformedFrames() {
    WireHeader ok = WireHeader.ping(WireClientStub.CLUSTER, WireProtocol.RELEASE, UInt128.ONE, 5);
    return Stream.of(
        Arguments.of("header checksum", (UnaryOperator<byte[]>) b -> flip(b, 200, false)),
        Arguments.of("size below 256", (UnaryOperator<byte[]>) b -> set(b, 96, 255)),
        Arguments.of("size above 1 MiB", (UnaryOperator<byte[]>) b -> set(b, 96, (1 << 20) + 1)),
        Arguments.of("other cluster", (UnaryOperator<byte[]>) b -> set(b, 80, 8)),
        Arguments.of("unknown command", (UnaryOperator<byte[]>) b -> {
          b[114] = 25;
          return reseal(b);
        }),
        Arguments.of("body checksum", (UnaryOperator<byte[]>) b -> {
          b[32] ^= 1;
          return reseal(b);
        }))
        .map(a -> Arguments.of(a.get()[0], ((UnaryOperator<byte[]>) a.get()[1]).apply(ok.bytes().clone())));
  }

  private static byte[] flip(byte[] b, int at, boolean reseal) {
    b[at] ^= 1;
    return reseal ? reseal(b) : b;
  }

  private static byte[] set(byte[] b, int at, int value) {
    le(b).putInt(at, value);
    return reseal(b);
  }

  /** Recomputes the header checksum only (the body checksum stays as it was). */
  private static byte[] reseal(byte[] b) {
    WireHeader h = WireHeader.wrap(b);
    Aegis128L.Tag t = h.calculateChecksum();
    t.put(b, 0);
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedFrames")
  void malformedFramesCloseTheConnection(String what, byte[] bytes) {
    FrameParser p = new FrameParser(WireClientStub.CLUSTER);
    // A body the header promises is awaited, then checked; a bad header is refused before any body.
    assertThatThrownBy(() -> p.feed(Buffer.buffer(bytes).appendBytes(new byte[2048]), f -> { }))
        .isInstanceOf(FrameParser.MalformedFrameException.class);
  }

  // ---- sessions ----

  @Test
  void pingGetsPongWithItsTimestamp() {
    WireClientStub c = new WireClientStub(1);
    c.protocol.handle(c.peer, WireHeader.ping(WireClientStub.CLUSTER, WireProtocol.RELEASE, c.client, 777),
        new byte[0]);
    assertThat(c.peer.last().command()).isEqualTo(WireHeader.PONG_CLIENT_COMMAND);
    assertThat(le(c.peer.last().bytes()).getLong(128)).isEqualTo(777);
  }

  @Test
  void requestsChainToTheLastReplyAndRetriesGetTheCachedReply() {
    WireClientStub c = new WireClientStub(1);
    c.register();
    assertThat(c.session).isPositive();
    byte[] ids = new byte[32];
    WireHeader first = c.next(WireOperations.LOOKUP_ACCOUNTS, ids);
    c.send(first, ids);
    assertThat(c.ledger.executed).containsExactly(WireOperations.LOOKUP_ACCOUNTS);
    WireHeader reply = c.peer.last();
    assertThat(reply.op()).isEqualTo(reply.commit()).isGreaterThan(c.session);
    // The retry: byte-identical reply, not executed again.
    c.send(first, ids);
    assertThat(c.peer.last().bytes()).isEqualTo(reply.bytes());
    assertThat(c.peer.bodies.get(c.peer.bodies.size() - 1)).isEqualTo(ids);
    assertThat(c.ledger.executed).hasSize(1);
    // A next request that is not chained to the last reply is ignored; so is one that skips a number.
    int sent = c.peer.sent.size();
    c.send(WireHeader.request(WireClientStub.CLUSTER, WireProtocol.RELEASE, c.client, UInt128.of(5), c.session, 2,
        WireOperations.LOOKUP_ACCOUNTS, ids), ids);
    c.send(WireHeader.request(WireClientStub.CLUSTER, WireProtocol.RELEASE, c.client, c.parent, c.session, 3,
        WireOperations.LOOKUP_ACCOUNTS, ids), ids);
    assertThat(c.peer.sent).hasSize(sent);
    assertThat(c.ledger.executed).hasSize(1);
    c.send(c.next(WireOperations.LOOKUP_ACCOUNTS, ids), ids);
    assertThat(c.ledger.executed).hasSize(2);
  }

  @Test
  void aRetryWhileTheRequestRunsIsIgnoredAndItRunsOnce() {
    WireClientStub c = new WireClientStub(1);
    c.register();
    c.ledger.hold = true;
    WireHeader h = c.next(WireOperations.CREATE_TRANSFERS, new byte[128]);
    c.send(h, new byte[128]);
    c.send(h, new byte[128]);
    assertThat(c.ledger.executed).hasSize(1);
    c.ledger.release();
    assertThat(c.peer.last().requestChecksum()).isEqualTo(h.checksum());
    assertThat(c.peer.bodies.get(c.peer.bodies.size() - 1)).isEmpty();
    c.send(h, new byte[128]);
    assertThat(c.ledger.executed).hasSize(1);
  }

  @Test
  void aFullClientTableEvictsTheSessionWithTheOldestReply() {
    WireClientStub first = new WireClientStub(1);
    first.register();
    for (int i = 2; i <= 4; i++) {
      first.registerOther(i);
    }
    assertThat(first.protocol.sessionCount()).isEqualTo(4);
    first.registerOther(5);
    assertThat(first.protocol.sessionCount()).isEqualTo(4);
    // Told nothing at once, as in TigerBeetle: the client learns it on its next request.
    assertThat(first.peer.sent).hasSize(1);
    first.send(first.next(WireOperations.LOOKUP_ACCOUNTS, new byte[16]), new byte[16]);
    assertThat(first.peer.last().command()).isEqualTo(WireHeader.EVICTION_COMMAND);
    assertThat(first.peer.last().evictionReason()).isEqualTo(WireProtocol.NO_SESSION);
    assertThat(first.ledger.executed).isEmpty();
  }

  @Test
  void aSessionEvictedWhileItsRequestRunsStillGetsItsReply() {
    WireClientStub first = new WireClientStub(1);
    first.register();
    first.ledger.hold = true;
    WireHeader create = first.next(WireOperations.CREATE_TRANSFERS, new byte[128]);
    first.send(create, new byte[128]);
    // Four more clients: the fifth register evicts the first, whose last reply is the oldest.
    for (int i = 2; i <= 5; i++) {
      first.registerOther(i);
    }
    assertThat(first.protocol.sessionCount()).isEqualTo(4);
    assertThat(first.peer.sent).hasSize(1);
    // A retry while it runs, here on a new connection, is ignored, as for any session: no_session now would read as
    // "not done". The reply goes to the connection the retry came on.
    WireClientStub.RecordingPeer reconnected = new WireClientStub.RecordingPeer();
    first.protocol.handle(reconnected, create, new byte[128]);
    assertThat(reconnected.sent).isEmpty();
    first.ledger.release();
    // The transfers were applied: the client hears so, not an eviction it would take for "not done".
    assertThat(reconnected.last().command()).isEqualTo(WireHeader.REPLY_COMMAND);
    assertThat(reconnected.last().requestChecksum()).isEqualTo(create.checksum());
    assertThat(first.peer.sent).hasSize(1);
    // Its session is gone, so a retry of that request is not run again: it gets no_session.
    first.send(create, new byte[128]);
    assertThat(first.peer.last().command()).isEqualTo(WireHeader.EVICTION_COMMAND);
    assertThat(first.peer.last().evictionReason()).isEqualTo(WireProtocol.NO_SESSION);
    assertThat(first.ledger.executed).hasSize(1);
  }

  /** One row per eviction reason: what the client sends, the reason it gets back. */
  record EvictionRow(String what, int release, int operation, int bodySize, boolean registered, long sessionDelta,
      int expectedReason) {}

  static Stream<EvictionRow> evictions() {
    int r = WireProtocol.RELEASE;
    int query = WireOperations.QUERY_TRANSFERS;
    return Stream.of(
        //             what                              release                                  operation  body  reg    Δsession  reason
        new EvictionRow("release below 0.16.2", WireProtocol.release(0, 16, 1), query, 64, true, 0,
            WireProtocol.CLIENT_RELEASE_TOO_LOW),
        new EvictionRow("release above 0.16.30", WireProtocol.release(0, 16, 31), query, 64, true, 0,
            WireProtocol.CLIENT_RELEASE_TOO_HIGH),
        new EvictionRow("body over the request limit", r, WireOperations.CREATE_ACCOUNTS, 8192, true, 0,
            WireProtocol.INVALID_REQUEST_BODY_SIZE),
        new EvictionRow("get_events (not served)", r, 137, 0, true, 0, WireProtocol.INVALID_REQUEST_OPERATION),
        new EvictionRow("unknown operation 200", r, 200, 0, true, 0, WireProtocol.INVALID_REQUEST_OPERATION),
        new EvictionRow("reconfigure", r, 3, 0, true, 0, WireProtocol.INVALID_REQUEST_OPERATION),
        new EvictionRow("accounts not a multiple of 128", r, WireOperations.CREATE_ACCOUNTS, 100, true, 0,
            WireProtocol.INVALID_REQUEST_BODY),
        new EvictionRow("query filter of 63 bytes", r, query, 63, true, 0, WireProtocol.INVALID_REQUEST_BODY),
        new EvictionRow("account filter of 64 bytes", r, WireOperations.GET_ACCOUNT_TRANSFERS, 64, true, 0,
            WireProtocol.INVALID_REQUEST_BODY),
        new EvictionRow("request without a session", r, query, 64, false, 0, WireProtocol.NO_SESSION),
        new EvictionRow("an older session", r, query, 64, true, -1, WireProtocol.SESSION_TOO_LOW),
        new EvictionRow("release changed mid-session", WireProtocol.release(0, 16, 29), query, 64, true, 0,
            WireProtocol.SESSION_RELEASE_MISMATCH));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("evictions")
  void evictionsCarryTheirReason(EvictionRow row) {
    WireClientStub c = new WireClientStub(1, 256 + 4096);
    if (row.registered()) c.register();
    long session = row.registered() ? c.session + row.sessionDelta() : 1;
    byte[] body = new byte[row.bodySize()];
    c.send(WireHeader.request(WireClientStub.CLUSTER, row.release(), c.client, c.parent, session, 1,
        row.operation(), body), body);
    assertThat(c.peer.last().command()).isEqualTo(WireHeader.EVICTION_COMMAND);
    assertThat(c.peer.last().evictionReason()).isEqualTo(row.expectedReason());
    assertThat(c.peer.last().client()).isEqualTo(c.client);
    assertThat(c.ledger.executed).isEmpty();
    assertThat(c.peer.closed).isNull();
  }

  static Stream<Arguments> invalidHeaders() {
    return Stream.of(
        Arguments.of("nonzero reserved", 250),
        Arguments.of("nonzero epoch", 100),
        Arguments.of("nonzero request timestamp", 184),
        Arguments.of("nonzero nonce_reserved", 64));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidHeaders")
  void anInvalidHeaderClosesTheConnection(String what, int offset) {
    WireClientStub c = new WireClientStub(1);
    c.register();
    WireHeader h = c.next(WireOperations.QUERY_ACCOUNTS, new byte[64]);
    h.bytes()[offset] = 1;
    h.seal(new byte[64]);
    c.send(h, new byte[64]);
    assertThat(c.peer.closed).isNotNull();
    assertThat(c.ledger.executed).isEmpty();
  }

  @Test
  void aReplyFromAClientClosesTheConnection() {
    WireClientStub c = new WireClientStub(1);
    c.register();
    WireHeader reply = c.peer.last();
    c.protocol.handle(c.peer, reply, c.peer.bodies.get(0));
    assertThat(c.peer.closed).contains("not sent by clients");
  }
}
