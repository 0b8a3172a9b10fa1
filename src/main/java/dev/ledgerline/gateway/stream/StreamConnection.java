package dev.ledgerline.gateway.stream;

import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.json.Decimals;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.StrictJson;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 *
 * <p>Resuming: a subscribe starts each account at a position of the committed-transfer feed (the {@code after}
 * cursor, else the ledger's newest transfer) and holds the account's live frames while it replays what came after
 * that position from the ledger ({@code get_account_transfers} from the cursor's timestamp, page by page as the
 * client reads). The held frames follow, and from then on every frame whose timestamp is not above the last one
 * sent for that account is dropped: the publisher delivers at least once, and replay and live overlap. A transfer
 * committed after the subscription was registered is published after it, so it is held or live, never lost.
 */
final class StreamConnection {
  /**
   * Bounds of one connection's subscriptions ({@code gateway.stream.max-accounts-per-message} and
   * {@code gateway.stream.max-accounts}): each subscribed id costs an owner check and a set entry.
   */
  record Caps(int perMessage, int perConnection) {}

  private static final Logger LOG = LoggerFactory.getLogger(StreamConnection.class);
  private static final Set<String> MESSAGE_FIELDS = Set.of("type", "accounts", "after");
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
  /** One subscribed account: the timestamp of the last transfer sent, and live frames held while it catches up. */
  private static final class Sub {
    long last;
    /** Non-null until the account is live. */
    ArrayDeque<Live> held = new ArrayDeque<>();
  }

  private record Live(long timestamp, String cursor, String body, String balance) {}

  private final StreamCursorKey cursorKey;
  private final Duration resumeWindow;
  private final int replayPage;
  private final Map<UInt128, Sub> accounts = new LinkedHashMap<>();
  private final ArrayDeque<String> queued = new ArrayDeque<>();
  private final ArrayDeque<Runnable> afterDrain = new ArrayDeque<>();
  private Clock clock = Clock.systemUTC();
  private long seq;
  private boolean closed;
  private long pingTimer = -1;
  private long expiryTimer = -1;
  private long revocationTimer = -1;

  StreamConnection(Vertx vertx, ServerWebSocket ws, Principal principal, Access access, LedgerClient ledger,
      StreamHub hub, StreamMetrics metrics, int maxQueued, Caps caps,
      java.util.function.Supplier<Future<String>> endReason) {
    this(vertx, ws, principal, access, ledger, hub, metrics, maxQueued, caps, endReason, null, Duration.ZERO);
  }

  StreamConnection(Vertx vertx, ServerWebSocket ws, Principal principal, Access access, LedgerClient ledger,
      StreamHub hub, StreamMetrics metrics, int maxQueued, Caps caps,
      java.util.function.Supplier<Future<String>> endReason, StreamCursorKey cursorKey, Duration resumeWindow) {
    this.cursorKey = cursorKey;
    this.resumeWindow = resumeWindow;
    // Pages small enough that one never fills the queue that closes a slow client.
    this.replayPage = Math.max(1, Math.min(1000, maxQueued / 2));
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
    this.clock = clock;
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
      // As strict as the HTTP API: one object, no member twice (a lenient reader keeps the last), no unknown one.
      msg = StrictJson.object(text.getBytes(StandardCharsets.UTF_8));
    } catch (InvalidRequestException e) {
      send(StreamFrames.error(++seq, "bad_message", "not a JSON object: " + e.errors().get(0).reason(), null));
      return;
    }
    for (String name : msg.fieldNames()) {
      if (!MESSAGE_FIELDS.contains(name)) {
        send(StreamFrames.error(++seq, "bad_message", "unknown field " + name + "; expected type, accounts, after",
            null));
        return;
      }
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
      case "subscribe" -> subscribe(ids, msg.containsKey("after"), msg.getValue("after"));
      case "unsubscribe" -> unsubscribe(ids);
      default -> send(StreamFrames.error(++seq, "bad_message", "unknown type; expected subscribe or unsubscribe",
          null));
    }
  }

  private void subscribe(List<String> ids, boolean resume, Object after) {
    StreamCursors.Position from = null;
    if (resume) {
      from = resumeFrom(ids, after);
      if (from == null) {
        return;
      }
    }
    Map<String, UInt128> valid = accountIds(ids);
    List<String> wanted = new ArrayList<>(valid.keySet());
    List<UInt128> parsed = new ArrayList<>(valid.values());
    long fresh = parsed.stream().filter(a -> !accounts.containsKey(a)).count();
    if (accounts.size() + fresh > caps.perConnection()) {
      send(StreamFrames.error(++seq, "too_many", "at most " + caps.perConnection() + " accounts per stream ("
          + accounts.size() + " subscribed); unsubscribe first. Nothing was subscribed", null));
      return;
    }
    if (parsed.isEmpty()) {
      return;
    }
    StreamCursors.Position start = from;
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
      List<UInt128> added = new ArrayList<>();
      List<UInt128> already = new ArrayList<>();
      for (int i = 0; i < parsed.size(); i++) {
        UInt128 a = parsed.get(i);
        if (!ar.result().contains(a)) {
          // Unknown and foreign look the same, as on the HTTP API: existence is not revealed.
          send(StreamFrames.error(++seq, "not_found", "no such account for this token", wanted.get(i)));
          continue;
        }
        // Another subscribe may have been answered meanwhile.
        if (!accounts.containsKey(a) && accounts.size() >= caps.perConnection()) {
          send(StreamFrames.error(++seq, "too_many", "at most " + caps.perConnection() + " accounts per stream",
              a.toString()));
          continue;
        }
        if (accounts.containsKey(a)) {
          if (start != null) {
            send(StreamFrames.error(++seq, "bad_message", "already subscribed on this stream; unsubscribe first to "
                + "resume", a.toString()));
          } else {
            // Subscribing again changes nothing.
            already.add(a);
          }
          continue;
        }
        accounts.put(a, new Sub());
        hub.subscribe(this, a);
        added.add(a);
      }
      if (!added.isEmpty() || !already.isEmpty()) {
        begin(added, already, start);
      }
    });
  }

  /**
   * Checks a subscribe's {@code after}: a cursor string of this service, for the one account the message names,
   * not older than {@code feed.resume-window}. Sends the error frame and returns null when it is refused.
   */
  private StreamCursors.Position resumeFrom(List<String> ids, Object after) {
    String account = ids.size() == 1 ? ids.get(0) : null;
    if (!(after instanceof String cursor)) {
      send(StreamFrames.error(++seq, "bad_cursor", "after must be a cursor string taken from a frame; nothing was "
          + "subscribed", account));
      return null;
    }
    if (new LinkedHashSet<>(ids).size() != 1) {
      send(StreamFrames.error(++seq, "bad_message", "after resumes one account: name exactly one account (one "
          + "subscribe per account to resume several); nothing was subscribed", null));
      return null;
    }
    UInt128 id;
    try {
      id = UInt128.parse(account);
    } catch (IllegalArgumentException e) {
      send(StreamFrames.error(++seq, "bad_account", "not an account id", account));
      return null;
    }
    StreamCursors cursors = cursorKey == null ? null : cursorKey.current();
    if (cursors == null) {
      send(StreamFrames.error(++seq, "unavailable", "cursors cannot be checked yet; try again", account));
      return null;
    }
    StreamCursors.Position p;
    try {
      p = cursors.decode(cursor);
    } catch (StreamCursors.Refused r) {
      send(StreamFrames.error(++seq, r.malformed() ? "bad_cursor" : "cursor_refused", r.getMessage()
          + "; nothing was subscribed", account));
      return null;
    }
    if (!p.account().equals(id)) {
      send(StreamFrames.error(++seq, "cursor_refused", "the cursor belongs to another account; nothing was "
          + "subscribed", account));
      return null;
    }
    if (accounts.containsKey(id)) {
      send(StreamFrames.error(++seq, "bad_message", "already subscribed on this stream; unsubscribe first to resume",
          account));
      return null;
    }
    if (clock.millis() - p.issuedMillis() > resumeWindow.toMillis()) {
      send(StreamFrames.error(++seq, "cursor_expired", "the cursor was issued longer ago than the resume window ("
          + resumeWindow + "): read the gap from GET /v1/accounts/" + account + "/transfers and subscribe "
          + "without after", account));
      return null;
    }
    return p;
  }

  /**
   * Answers a subscribe: each new account starts at {@code from} (else the ledger's newest transfer), which its
   * cursor in the {@code subscribed} frame names; then the transfers after it are replayed and the account goes live.
   */
  private void begin(List<UInt128> added, List<UInt128> already, StreamCursors.Position from) {
    Future<Long> start = from != null ? Future.succeededFuture(from.timestamp())
        : added.isEmpty() ? Future.succeededFuture(0L) : ledgerEnd();
    start.onComplete(ar -> {
      if (closed) {
        return;
      }
      List<String> names = new ArrayList<>();
      Map<String, String> cursors = new LinkedHashMap<>();
      List<UInt128> fresh = new ArrayList<>();
      for (UInt128 a : already) {
        if (accounts.containsKey(a)) {
          names.add(a.toString());
        }
      }
      for (UInt128 a : added) {
        Sub s = accounts.get(a);
        if (s == null) {
          continue; // unsubscribed meanwhile
        }
        if (ar.failed()) {
          drop(a);
          send(StreamFrames.error(++seq, "unavailable", "the ledger could not be read; try again", a.toString()));
          continue;
        }
        s.last = ar.result();
        names.add(a.toString());
        String c = cursor(a, s.last);
        if (c != null) {
          cursors.put(a.toString(), c);
        }
        fresh.add(a);
      }
      if (!names.isEmpty()) {
        send(StreamFrames.subscribed(++seq, "subscribed", names, cursors));
      }
      for (UInt128 a : fresh) {
        if (from != null) {
          replay(a, accounts.get(a));
        } else {
          goLive(a, accounts.get(a));
        }
      }
    });
  }

  /** The timestamp of the ledger's newest transfer (0 for none): where a subscribe without after starts. */
  private Future<Long> ledgerEnd() {
    return ledger.queryTransfers(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, 0, 0, 1, QueryFilterFlags.REVERSED))
        .map(found -> found.isEmpty() ? 0L : found.get(0).timestamp());
  }

  /** One page of the account's transfers after its position, then the next once the client has read it. */
  private void replay(UInt128 a, Sub s) {
    if (s == null || closed || accounts.get(a) != s) {
      return;
    }
    AccountFilter page = new AccountFilter(a, UInt128.ZERO, 0, 0, 0, s.last + 1, 0, replayPage,
        AccountFilterFlags.DEBITS | AccountFilterFlags.CREDITS);
    ledger.getAccountTransfers(page).onComplete(ar -> {
      if (closed || accounts.get(a) != s) {
        return;
      }
      if (ar.failed()) {
        drop(a);
        send(StreamFrames.error(++seq, "unavailable", "the missed transfers could not be read; subscribe again "
            + "with the same after", a.toString()));
        return;
      }
      String account = a.toString();
      for (Transfer t : ar.result()) {
        if (Long.compareUnsigned(t.timestamp(), s.last) <= 0) {
          continue;
        }
        s.last = t.timestamp();
        send(StreamFrames.transfer(++seq, account, cursor(a, t.timestamp()), StreamFrames.transferBody(t), true));
      }
      if (ar.result().size() < replayPage) {
        goLive(a, s);
      } else {
        afterDrain(() -> replay(a, s));
      }
    });
  }

  /** Sends what was held during the replay (past the replay's end only) and makes the account live. */
  private void goLive(UInt128 a, Sub s) {
    if (s == null || closed || accounts.get(a) != s || s.held == null) {
      return;
    }
    ArrayDeque<Live> held = s.held;
    s.held = null;
    for (Live l : held) {
      deliver(a, s, l);
    }
  }

  private void drop(UInt128 a) {
    if (accounts.remove(a) != null) {
      hub.unsubscribe(this, a);
    }
  }

  private String cursor(UInt128 account, long timestamp) {
    StreamCursors c = cursorKey == null ? null : cursorKey.current();
    return c == null ? null : c.encode(account, timestamp);
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
    Map<String, UInt128> valid = accountIds(ids);
    valid.values().forEach(this::drop);
    send(StreamFrames.subscribed(++seq, "unsubscribed", new ArrayList<>(valid.keySet())));
  }

  /**
   * A message's distinct ids, in order, each parsed, when written as the API writes them (digits, no leading zero);
   * every other one is answered {@code bad_account}.
   */
  private Map<String, UInt128> accountIds(List<String> ids) {
    Map<String, UInt128> valid = new LinkedHashMap<>();
    for (String id : new LinkedHashSet<>(ids)) {
      String problem = Decimals.u128Problem(id);
      if (problem == null) {
        valid.put(id, UInt128.parse(id));
      } else {
        send(StreamFrames.error(++seq, "bad_account", "not an account id: " + problem, id));
      }
    }
    return valid;
  }

  // ---- server frames ----

  /**
   * A committed transfer touching a subscribed account, then the account's balance after it: held while the account
   * catches up, dropped when it is not past the last one sent (a replayed or republished transfer).
   */
  void transfer(UInt128 account, long timestamp, String cursor, String transferBody, String balanceFields) {
    Sub s = accounts.get(account);
    Live live = new Live(timestamp, cursor, transferBody, balanceFields);
    if (s == null) {
      // Subscribed at the hub without a subscribe of ours (tests of delivery alone): delivered as it comes.
      sendLive(account.toString(), live);
      return;
    }
    if (s.held != null) {
      s.held.add(live);
      if (s.held.size() > maxQueued) {
        metrics.tooSlow();
        close(CLOSE_TOO_SLOW, "too slow: more than " + maxQueued + " frames held while catching up");
      }
      return;
    }
    deliver(account, s, live);
  }

  private void deliver(UInt128 account, Sub s, Live l) {
    if (Long.compareUnsigned(l.timestamp(), s.last) <= 0) {
      return;
    }
    s.last = l.timestamp();
    sendLive(account.toString(), l);
  }

  private void sendLive(String account, Live l) {
    send(StreamFrames.transfer(++seq, account, l.cursor(), l.body(), false));
    if (l.balance() != null) {
      send(StreamFrames.balance(++seq, account, l.cursor(), l.balance()));
    }
  }

  /** Runs {@code next} once every queued frame has gone to the socket (at once when none waits). */
  private void afterDrain(Runnable next) {
    if (queued.isEmpty()) {
      next.run();
    } else {
      afterDrain.add(next);
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
    while (queued.isEmpty() && !afterDrain.isEmpty() && open()) {
      afterDrain.poll().run();
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
    afterDrain.clear();
    for (UInt128 a : accounts.keySet()) {
      hub.unsubscribe(this, a);
    }
    accounts.clear();
    vertx.cancelTimer(pingTimer);
    vertx.cancelTimer(expiryTimer);
    vertx.cancelTimer(revocationTimer);
    metrics.closed();
  }
}
