package dev.ledgerline.gateway.stream;

import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of {@code /v1/stream}: its subscriptions, its frame counter and its bounded outbound queue.
 *
 * <p>Frames go straight to the socket while its write queue has room; after that they wait in a queue of our own
 * that the drain handler empties. More than {@code maxQueued} waiting frames close the connection with 1013 (try
 * again later): the server never buffers without bound for a client that does not read. At the token's {@code exp}
 * the connection is closed with 1008 (policy violation), since the stream would otherwise outlive its authorization;
 * so it is when the token is revoked.
 */
final class StreamConnection {
  /**
   * Bounds of one connection's subscriptions ({@code gateway.stream.max-accounts-per-message} and
   * {@code gateway.stream.max-accounts}): each subscribed id costs an owner check and a set entry.
   */
  record Caps(int perMessage, int perConnection) {}

  private static final Logger LOG = LoggerFactory.getLogger(StreamConnection.class);
  static final short CLOSE_TOO_SLOW = 1013;
  static final short CLOSE_POLICY = 1008;
  static final short CLOSE_TOO_BIG = 1009;
  /** With the store's cache (under 1 s), a revoked token's streams close within about 1.5 s. */
  static final Duration REVOCATION_CHECK = Duration.ofMillis(500);

  private final Vertx vertx;
  private final ServerWebSocket ws;
  private final Principal principal;
  private final Access access;
  private final LedgerClient ledger;
  private final StreamHub hub;
  private final StreamMetrics metrics;
  private final int maxQueued;
  private final Caps caps;
  /** Why the stream must end now (token revoked, user suspended), or null; asked every {@link #REVOCATION_CHECK}. */
  private final java.util.function.Supplier<Future<String>> endReason;
  private final Set<UInt128> accounts = new LinkedHashSet<>();
  private final ArrayDeque<String> queued = new ArrayDeque<>();
  private long seq;
  private boolean closed;
  private long pingTimer = -1;
  private long expiryTimer = -1;
  private long revocationTimer = -1;

  StreamConnection(Vertx vertx, ServerWebSocket ws, Principal principal, Access access, LedgerClient ledger,
      StreamHub hub, StreamMetrics metrics, int maxQueued, Caps caps,
      java.util.function.Supplier<Future<String>> endReason) {
    this.vertx = vertx;
    this.ws = ws;
    this.principal = principal;
    this.access = access;
    this.ledger = ledger;
    this.hub = hub;
    this.metrics = metrics;
    this.maxQueued = maxQueued;
    this.caps = caps;
    this.endReason = endReason;
  }

  void start(Duration pingInterval, Clock clock) {
    metrics.opened();
    ws.textMessageHandler(this::onMessage);
    ws.binaryMessageHandler(b -> send(StreamFrames.error(++seq, "bad_message", "send JSON text frames", null)));
    ws.drainHandler(v -> drain());
    ws.exceptionHandler(e -> {
      LOG.debug("stream of {}: {}", principal.subject(), e.toString());
      // Vert.x drops a text or binary message above the server's maximum message size and reports it here only.
      if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
        close(CLOSE_TOO_BIG, "message too big");
      }
    });
    ws.closeHandler(v -> cleanup());
    if (!pingInterval.isZero()) {
      pingTimer = vertx.setPeriodic(pingInterval.toMillis(), t -> {
        if (open() && !ws.writeQueueFull()) {
          ws.writePing(Buffer.buffer()).onFailure(e -> LOG.debug("ping to a closing stream: {}", e.toString()));
        }
      });
    }
    // Revocation and suspension apply to open streams too, within the same second as to requests (answers are
    // cached per node, so many streams of one token cost one Redis read per cache period and no PostgreSQL read).
    revocationTimer = vertx.setPeriodic(REVOCATION_CHECK.toMillis(), t -> endReason.get().onSuccess(why -> {
      if (why != null) {
        close(CLOSE_POLICY, why);
      }
    }));
    long untilExpiry = principal.expiresAt().toEpochMilli() - clock.millis();
    expiryTimer = vertx.setTimer(Math.max(1, untilExpiry), t -> {
      metrics.expired();
      close(CLOSE_POLICY, "token expired");
    });
  }

  // ---- client messages ----

  private void onMessage(String text) {
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (RuntimeException e) {
      send(StreamFrames.error(++seq, "bad_message", "not a JSON object", null));
      return;
    }
    String type = msg.getValue("type") instanceof String s ? s : "";
    List<String> ids = new ArrayList<>();
    if (!(msg.getValue("accounts") instanceof JsonArray arr) || arr.isEmpty()
        || !arr.stream().allMatch(String.class::isInstance)) {
      send(StreamFrames.error(++seq, "bad_message", "expected {\"type\":\"subscribe\"|\"unsubscribe\","
          + "\"accounts\":[\"<id>\",...]} with 1 to " + caps.perMessage() + " account ids as strings", null));
      return;
    }
    if (arr.size() > caps.perMessage()) {
      send(StreamFrames.error(++seq, "too_many", "at most " + caps.perMessage() + " account ids per message; "
          + "nothing was done", null));
      return;
    }
    arr.forEach(o -> ids.add((String) o));
    switch (type) {
      case "subscribe" -> subscribe(ids);
      case "unsubscribe" -> unsubscribe(ids);
      default -> send(StreamFrames.error(++seq, "bad_message", "unknown type; expected subscribe or unsubscribe",
          null));
    }
  }

  private void subscribe(List<String> ids) {
    List<String> wanted = new ArrayList<>();
    List<UInt128> parsed = new ArrayList<>();
    for (String id : new LinkedHashSet<>(ids)) {
      try {
        parsed.add(UInt128.parse(id));
        wanted.add(id);
      } catch (IllegalArgumentException e) {
        send(StreamFrames.error(++seq, "bad_account", "not an account id", id));
      }
    }
    long fresh = parsed.stream().filter(a -> !accounts.contains(a)).count();
    if (accounts.size() + fresh > caps.perConnection()) {
      send(StreamFrames.error(++seq, "too_many", "at most " + caps.perConnection() + " accounts per stream ("
          + accounts.size() + " subscribed); unsubscribe first. Nothing was subscribed", null));
      return;
    }
    if (parsed.isEmpty()) {
      return;
    }
    readable(parsed).onComplete(ar -> {
      if (closed) {
        return;
      }
      if (ar.failed()) {
        for (String id : wanted) {
          send(StreamFrames.error(++seq, "unavailable", "the account could not be checked; try again", id));
        }
        return;
      }
      List<String> added = new ArrayList<>();
      for (int i = 0; i < parsed.size(); i++) {
        UInt128 a = parsed.get(i);
        if (!ar.result().contains(a)) {
          // Unknown and foreign look the same, as on the HTTP API: existence is not revealed.
          send(StreamFrames.error(++seq, "not_found", "no such account for this token", wanted.get(i)));
          continue;
        }
        // Another subscribe may have been answered meanwhile.
        if (!accounts.contains(a) && accounts.size() >= caps.perConnection()) {
          send(StreamFrames.error(++seq, "too_many", "at most " + caps.perConnection() + " accounts per stream",
              a.toString()));
          continue;
        }
        accounts.add(a);
        hub.subscribe(this, a);
        added.add(a.toString());
      }
      if (!added.isEmpty()) {
        send(StreamFrames.subscribed(++seq, "subscribed", added));
      }
    });
  }

  /**
   * The accounts among these that the principal may stream, in one owner query: owners and operators only, and the
   * account must exist (operators may name any id; one ledger lookup for all of them).
   */
  private Future<Set<UInt128>> readable(List<UInt128> ids) {
    return access.owned(principal, ids).compose(mine -> {
      if (mine.isEmpty() || !Access.privileged(principal)) {
        return Future.succeededFuture(mine);
      }
      return ledger.lookupAccounts(new ArrayList<>(mine)).map(found -> {
        Set<UInt128> existing = new HashSet<>();
        found.forEach(a -> existing.add(a.id()));
        return existing;
      });
    });
  }

  private void unsubscribe(List<String> ids) {
    List<String> removed = new ArrayList<>();
    for (String id : new LinkedHashSet<>(ids)) {
      try {
        UInt128 a = UInt128.parse(id);
        if (accounts.remove(a)) {
          hub.unsubscribe(this, a);
        }
        removed.add(id);
      } catch (IllegalArgumentException e) {
        send(StreamFrames.error(++seq, "bad_account", "not an account id", id));
      }
    }
    send(StreamFrames.subscribed(++seq, "unsubscribed", removed));
  }

  // ---- server frames ----

  /** A committed transfer touching a subscribed account, then the account's balance after it. */
  void transfer(String account, String transferBody, String balanceFields) {
    send(StreamFrames.transfer(++seq, account, transferBody));
    if (balanceFields != null) {
      send(StreamFrames.balance(++seq, account, balanceFields));
    }
  }

  /** Not closed by us and not closing: a close frame received or sent makes every write fail. */
  private boolean open() {
    return !closed && !ws.isClosed();
  }

  private void send(String frame) {
    if (!open()) {
      return;
    }
    if (queued.isEmpty() && !ws.writeQueueFull()) {
      write(frame);
      return;
    }
    queued.add(frame);
    if (queued.size() > maxQueued) {
      metrics.tooSlow();
      LOG.info("stream of {} closed: more than {} frames queued", principal.subject(), maxQueued);
      close(CLOSE_TOO_SLOW, "too slow: more than " + maxQueued + " frames queued");
    }
  }

  private void drain() {
    while (!queued.isEmpty() && !ws.writeQueueFull() && open()) {
      write(queued.poll());
    }
  }

  /** A frame to a socket that may start closing at any moment: a failed write is this stream's end, no one else's. */
  private void write(String frame) {
    ws.writeTextMessage(frame).onFailure(e -> LOG.debug("stream of {} closing: {}", principal.subject(),
        e.toString()));
  }

  private void close(short code, String reason) {
    if (closed) {
      return;
    }
    cleanup();
    if (!ws.isClosed()) {
      ws.close(code, reason).onFailure(e -> LOG.debug("stream close: {}", e.toString()));
    }
  }

  private void cleanup() {
    if (closed) {
      return;
    }
    closed = true;
    queued.clear();
    for (UInt128 a : accounts) {
      hub.unsubscribe(this, a);
    }
    accounts.clear();
    vertx.cancelTimer(pingTimer);
    vertx.cancelTimer(expiryTimer);
    vertx.cancelTimer(revocationTimer);
    metrics.closed();
  }
}
