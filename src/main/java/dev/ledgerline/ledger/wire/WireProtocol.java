package dev.ledgerline.ledger.wire;

import dev.ledgerline.ledger.model.UInt128;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a one-replica TigerBeetle 0.16.30 primary does with a client's messages ({@code src/vsr/replica.zig}
 * {@code on_ping_client}, {@code on_request}, {@code ignore_request_message*}), minus replication: pongs, evictions,
 * registering sessions, executing requests once and resending the cached reply to a retry.
 *
 * <p>Not thread-safe: everything runs on one thread (the ledger verticle's context), as the batcher does. Sessions
 * live in memory; after a restart a client's next request gets {@code no_session}, as from a cluster that evicted it.
 */
public final class WireProtocol {
  private static final Logger LOG = LoggerFactory.getLogger(WireProtocol.class);

  /** TigerBeetle 0.16.30: {@code patch | minor << 8 | major << 16}. */
  public static final int RELEASE = release(0, 16, 30);
  /**
   * The oldest client release served. TigerBeetle 0.16.30 serves 0.15.3 and later, with older semantics (64-byte
   * account filters before 0.16.2, zero-amount sentinels before 0.16.0) that the embedded engine does not have.
   */
  public static final int RELEASE_CLIENT_MIN = release(0, 16, 2);
  /** {@code constants.clients_max} of the production configuration. */
  public static final int CLIENTS_MAX = 64;

  /** {@code Header.Eviction.Reason}. */
  public static final int NO_SESSION = 1;
  public static final int CLIENT_RELEASE_TOO_LOW = 2;
  public static final int CLIENT_RELEASE_TOO_HIGH = 3;
  public static final int INVALID_REQUEST_OPERATION = 4;
  public static final int INVALID_REQUEST_BODY = 5;
  public static final int INVALID_REQUEST_BODY_SIZE = 6;
  public static final int SESSION_TOO_LOW = 7;
  public static final int SESSION_RELEASE_MISMATCH = 8;

  /** A client connection. */
  public interface Peer {
    void send(WireHeader header, byte[] body);

    /** Closes the connection: the peer sent something no client sends. */
    void close(String why);

    boolean isOpen();
  }

  /** The ledger: runs one state-machine operation over a request body. */
  public interface Ledger {
    /**
     * Runs {@code operation} and hands the reply body to {@code done}; or calls {@code notExecuted} when it could not
     * answer (overloaded, stopping, not the writer, timed out), so that the client's retry runs it again.
     */
    void execute(int operation, byte[] body, Consumer<byte[]> done, Runnable notExecuted);
  }

  /** One client's session: the last reply (cached for retries) and the request being executed, if any. */
  private static final class Session {
    final UInt128 client;
    final long number;
    final int release;
    Peer peer;
    long commit;
    long request;
    UInt128 requestChecksum;
    UInt128 context;
    WireHeader reply;
    byte[] replyBody;
    /** The request number in execution, or -1. */
    long executing = -1;

    Session(UInt128 client, long number, int release) {
      this.client = client;
      this.number = number;
      this.release = release;
    }
  }

  private final UInt128 cluster;
  private final Ledger ledger;
  private final int requestSizeLimit;
  private final int clientsMax;
  private final LongSupplier realtimeNanos;
  private final UInt128 emptyBodyChecksum = WireHeader.toU128(Aegis128L.checksum(new byte[0]));
  private final Map<UInt128, Session> sessions = new HashMap<>();
  /** Sessions evicted while a request of theirs ran, until it is answered: a retry of it is not told no_session. */
  private final Map<UInt128, Session> evicting = new HashMap<>();
  private long op;
  private long lastTimestamp;

  /**
   * @param requestSizeLimit the largest request, header included ({@code --limit-request}); at most 1 MiB
   */
  public WireProtocol(UInt128 cluster, Ledger ledger, int requestSizeLimit, int clientsMax,
      LongSupplier realtimeNanos) {
    if (requestSizeLimit <= WireHeader.SIZE || requestSizeLimit > WireHeader.MESSAGE_SIZE_MAX) {
      throw new IllegalArgumentException("request size limit must be 257.." + WireHeader.MESSAGE_SIZE_MAX);
    }
    this.cluster = cluster;
    this.ledger = ledger;
    this.requestSizeLimit = requestSizeLimit;
    this.clientsMax = clientsMax;
    this.realtimeNanos = realtimeNanos;
    // Op (and so session) numbers keep increasing across restarts: a session number is never handed out twice.
    this.op = Math.max(1, realtimeNanos.getAsLong() / 1000);
  }

  public static int release(int major, int minor, int patch) {
    return patch | minor << 8 | major << 16;
  }

  public UInt128 cluster() {
    return cluster;
  }

  /** {@code RegisterResult.batch_size_limit}: the body bytes one request may carry. */
  public int batchSizeLimit() {
    return requestSizeLimit - WireHeader.SIZE;
  }

  public int sessionCount() {
    return sessions.size();
  }

  /** Handles one checked message (checksums, size, cluster and command already checked by the frame parser). */
  public void handle(Peer peer, WireHeader header, byte[] body) {
    String invalid = header.invalid(emptyBodyChecksum);
    if (invalid != null) {
      peer.close("invalid header: " + invalid);
      return;
    }
    if (header.command() == WireHeader.PING_CLIENT_COMMAND) {
      Session s = sessions.get(header.client());
      if (s == null) s = evicting.get(header.client());
      if (s != null) s.peer = peer;
      peer.send(WireHeader.pong(cluster, RELEASE, header.pingTimestamp()), new byte[0]);
      return;
    }
    onRequest(peer, header, body);
  }

  private void onRequest(Peer peer, WireHeader h, byte[] body) {
    // A client ahead of our view talks to another cluster's primary: ignored, like a replica that is behind.
    if (h.view() != 0) return;
    int operation = h.operation();
    if (Integer.compareUnsigned(h.release(), RELEASE_CLIENT_MIN) < 0) {
      evict(peer, h.client(), CLIENT_RELEASE_TOO_LOW);
      return;
    }
    if (Integer.compareUnsigned(h.release(), RELEASE) > 0) {
      evict(peer, h.client(), CLIENT_RELEASE_TOO_HIGH);
      return;
    }
    if (h.size() > requestSizeLimit) {
      evict(peer, h.client(), INVALID_REQUEST_BODY_SIZE);
      return;
    }
    boolean register = operation == WireHeader.OPERATION_REGISTER;
    if (!register && !WireOperations.served(operation)) {
      evict(peer, h.client(), INVALID_REQUEST_OPERATION);
      return;
    }
    boolean bodyValid = register ? RegisterBodies.validRequest(body)
        : WireOperations.inputValid(operation, body.length, batchSizeLimit());
    if (!bodyValid) {
      evict(peer, h.client(), INVALID_REQUEST_BODY);
      return;
    }
    Session s = sessions.get(h.client());
    if (s == null) {
      Session gone = evicting.get(h.client());
      if (!register && gone != null && gone.executing == h.request()) {
        gone.peer = peer; // its reply is on the way, to this connection; no_session now would read as "not done"
        return;
      }
      if (register) {
        register(peer, h);
      } else {
        evict(peer, h.client(), NO_SESSION);
      }
      return;
    }
    s.peer = peer;
    if (!register) {
      if (s.number > h.session()) {
        evict(peer, h.client(), SESSION_TOO_LOW);
        return;
      }
      if (s.number < h.session()) return; // a newer session than any we gave: client bug, ignored
    }
    if (s.release != h.release()) {
      evict(peer, h.client(), SESSION_RELEASE_MISMATCH);
      return;
    }
    if (h.request() < s.request) return; // an old retry
    if (h.request() == s.request) {
      // A retry of the request we answered last: the same reply again, never a second execution.
      if (h.checksum().equals(s.requestChecksum)) peer.send(s.reply, s.replyBody);
      return;
    }
    // Only the next request, chained to our last reply, and only once: a retry while it runs is ignored.
    if (h.request() != s.request + 1 || !h.parent().equals(s.context) || s.executing >= 0) return;
    execute(s, h, body);
  }

  private void register(Peer peer, WireHeader h) {
    if (sessions.size() >= clientsMax) evictOldest();
    long commit = ++op;
    Session s = new Session(h.client(), commit, h.release());
    s.peer = peer;
    sessions.put(s.client, s);
    reply(s, h, commit, RegisterBodies.result(batchSizeLimit()));
  }

  /**
   * A full client table drops the session whose last reply is oldest, as {@code ClientSessions.evictee} does, and
   * tells nobody: the evictee may have a request in execution, whose client must hear its result, not an eviction it
   * would take for "not done" (and retry with new ids). Its next request gets {@code no_session}.
   */
  private void evictOldest() {
    Session oldest = null;
    for (Session s : sessions.values()) {
      if (oldest == null || s.commit < oldest.commit) oldest = s;
    }
    sessions.remove(oldest.client);
    if (oldest.executing >= 0) evicting.put(oldest.client, oldest);
    LOG.info("wire client table full ({} sessions): evicted client {}", clientsMax, oldest.client);
  }

  private void execute(Session s, WireHeader h, byte[] body) {
    s.executing = h.request();
    // Evicted while it ran, the session still answers this request (client_table_entry_update): only the cached
    // copy is gone, so a retry of it gets no_session.
    ledger.execute(h.operation(), body, result -> {
      s.executing = -1;
      evicting.remove(s.client, s);
      reply(s, h, ++op, result);
    }, () -> {
      s.executing = -1;
      evicting.remove(s.client, s);
    });
  }

  private void reply(Session s, WireHeader request, long commit, byte[] body) {
    WireHeader reply = WireHeader.reply(cluster, request, context(request, commit), commit, timestamp(), body);
    s.commit = commit;
    s.request = request.request();
    s.requestChecksum = request.checksum();
    s.context = reply.context();
    s.reply = reply;
    s.replyBody = body;
    if (s.peer != null && s.peer.isOpen()) s.peer.send(reply, body);
  }

  /**
   * Stands in for the checksum of the prepare, which a replica puts in {@code context} and the client chains its next
   * request to: unique per request and commit.
   */
  private static UInt128 context(WireHeader request, long commit) {
    byte[] b = new byte[24];
    new Aegis128L.Tag(request.checksum().lo(), request.checksum().hi()).put(b, 0);
    for (int i = 0; i < 8; i++) b[16 + i] = (byte) (commit >>> (8 * i));
    return WireHeader.toU128(Aegis128L.checksum(b));
  }

  /** The prepare timestamp: wall-clock nanoseconds, strictly increasing, never 0. */
  private long timestamp() {
    lastTimestamp = Math.max(lastTimestamp + 1, realtimeNanos.getAsLong());
    return lastTimestamp;
  }

  private void evict(Peer peer, UInt128 client, int reason) {
    LOG.debug("wire: evicting client {}: reason {}", client, reason);
    peer.send(WireHeader.eviction(cluster, RELEASE, client, reason), new byte[0]);
  }
}
