package dev.ledgerline.gateway.routes;

import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.Decimals;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.StrictJson;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.transactions.NewPayment;
import dev.ledgerline.transactions.Payment;
import dev.ledgerline.transactions.PaymentAnswer;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.transactions.TransactionEventHandler;
import dev.ledgerline.transactions.TransactionsApi;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.transactions.saga.PaymentStatus;
import dev.ledgerline.users.Permission;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * {@code /v1/payments...}: create a payment (its saga runs on a transactions node), read one, list the caller's,
 * cancel, resolve (operators), and read a payment's events. A payment is its owner's: anyone else gets 404, except
 * operators and admins, who may read and resolve any. Creation checks everything before writing: the body, the
 * payer's account (owned by the caller, on the payment's ledger) and the linked account (the caller's); a refusal
 * writes nothing.
 */
public final class PaymentRoutes {
  public static final String PATH = "/v1/payments";
  public static final String CREATE = "POST /v1/payments";
  public static final String TYPE_TOO_MANY_RUNNING = "urn:ledgerline:problem:payments-in-flight";
  public static final String TYPE_NOT_CANCELLABLE = "urn:ledgerline:problem:payment-not-cancellable";
  public static final String TYPE_NOT_RESOLVABLE = "urn:ledgerline:problem:payment-not-resolvable";
  public static final String TYPE_CANCEL_NOT_DELIVERED = "urn:ledgerline:problem:payment-cancel-not-delivered";
  static final Set<String> PROVIDERS = Set.of("plaid");
  private static final Set<String> FIELDS = Set.of("from_account_id", "amount", "ledger", "code", "provider",
      "linked_account_id", "description", "metadata");
  private static final Set<String> RESOLVE_FIELDS = Set.of("action", "reason");
  private static final Set<String> LIST_PARAMS = Set.of("status", "cursor", "limit");
  private static final int DEFAULT_LIMIT = 50;
  private static final int MAX_DESCRIPTION = 255;
  private static final int MAX_REASON = 1000;
  private static final int MAX_METADATA = 4096;

  /** Whether a linked account exists and is the owner's. */
  @FunctionalInterface
  public interface LinkedAccountCheck {
    Future<Boolean> ownedBy(String owner, String linkedAccountId);
  }

  private final Vertx vertx;
  private final PaymentStore store;
  /** Null: GET reads the row every time. */
  private final TransactionCache transactions;
  private final LedgerClient ledger;
  private final Access access;
  private final LinkedAccountCheck linked;
  private final UInt128 maxAmount;
  private final long signalTimeoutMs;
  private final int maxInFlight;
  /**
   * The payments this node accepted that have not reached an outcome, with the time each was admitted. Admission
   * reserves a slot before anything is written; the outcome's {@code transaction.updated} (relay pub/sub, from any
   * node) frees it. A slot whose outcome never arrives here (a lost pub/sub message) is freed after {@code stale}.
   */
  private final ConcurrentHashMap<String, Long> running = new ConcurrentHashMap<>();
  private final AtomicInteger slots = new AtomicInteger();
  private final long staleNanos;
  private MessageConsumer<JsonObject> outcomes;

  /**
   * @param maxAmount the largest amount ({@code gateway.transfers.max-amount}, as for transfers)
   * @param signalTimeoutMs how long a cancel or resolve waits for a transactions node to signal the workflow
   */
  public PaymentRoutes(Vertx vertx, PaymentStore store, LedgerClient ledger, Access access, LinkedAccountCheck linked,
      UInt128 maxAmount, long signalTimeoutMs) {
    this(vertx, store, null, ledger, access, linked, maxAmount, signalTimeoutMs, 0, Duration.ofHours(1));
  }

  /**
   * @param maxInFlight payments this node keeps running at once before POST answers 429 (0 = no bound)
   * @param stale how long a slot is held at most when its outcome is never heard of
   * @param transactions the {@code transaction:<id>} entries GET reads through; null reads the row every time
   */
  public PaymentRoutes(Vertx vertx, PaymentStore store, TransactionCache transactions, LedgerClient ledger,
      Access access, LinkedAccountCheck linked, UInt128 maxAmount, long signalTimeoutMs, int maxInFlight,
      Duration stale) {
    this.transactions = transactions;
    this.maxInFlight = maxInFlight;
    this.staleNanos = stale.toNanos();
    if (maxInFlight > 0) {
      outcomes = vertx.eventBus().<JsonObject>consumer(EventTypes.address(TransactionEventHandler.UPDATED), m -> {
        JsonObject payload = m.body() == null ? null : m.body().getJsonObject("payload");
        if (payload == null || !"payment".equals(payload.getString("kind"))) return;
        PaymentStatus st = status(payload.getString("status"));
        if (st != null && (st.terminal() || st == PaymentStatus.NEEDS_ATTENTION)) {
          release(payload.getString("id"));
        }
      });
    }
    this.vertx = vertx;
    this.store = store;
    this.ledger = ledger;
    this.access = access;
    this.linked = linked;
    this.maxAmount = maxAmount;
    this.signalTimeoutMs = signalTimeoutMs;
  }

  /**
   * Before the Idempotency-Key is claimed: while every slot is taken, POST /v1/payments is answered 429 at once, so a
   * crowd of refused clients costs no idempotency writes (each claim is a PostgreSQL write and its release another).
   * {@link #create} still reserves the slot itself; this is only the cheap early answer.
   */
  public Handler<RoutingContext> admitted(Handler<RoutingContext> next) {
    return rc -> {
      if (maxInFlight > 0 && slots.get() >= maxInFlight && !freeStale()) {
        tooManyRunning().send(rc, false);
      } else {
        next.handle(rc);
      }
    };
  }

  private static Reply tooManyRunning() {
    return Reply.problem(Problem.of(429, "too many payments are running on this node; retry shortly")
        .withType(TYPE_TOO_MANY_RUNNING)).notKept().withRetryAfter(1);
  }

  /** POST /v1/payments: 202 {@code {"id","status":"pending","links"}}; run under its Idempotency-Key. */
  public Future<Reply> create(RoutingContext rc, Principal p, String key) {
    NewPayment n = parse(p.subject(), rc.body().buffer().getBytes());
    if (!admit()) {
      return Future.succeededFuture(tooManyRunning());
    }
    return accept(p, n).map(reply -> {
      String id = reply.status() == 202 ? new JsonObject(reply.body()).getString("id") : null;
      if (id == null) {
        slots.decrementAndGet();
      } else if (maxInFlight > 0) {
        running.put(id, System.nanoTime());
      }
      return reply;
    });
  }

  /** Stops listening for outcomes (the node closes the gateway's parts). */
  public Future<Void> close() {
    return outcomes == null ? Future.succeededFuture() : outcomes.unregister();
  }

  /** Payments this node runs now (accepted, outcome not yet heard of). */
  public int inFlight() {
    return slots.get();
  }

  /** Reserves a slot, after freeing those held past {@code stale}; false when every slot is taken. */
  private boolean admit() {
    if (maxInFlight <= 0) return true;
    if (slots.get() >= maxInFlight) freeStale();
    if (slots.incrementAndGet() > maxInFlight) {
      slots.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Frees the slots held past {@code stale}; true when one was freed. */
  private boolean freeStale() {
    long now = System.nanoTime();
    int before = slots.get();
    running.forEach((id, at) -> {
      if (now - at > staleNanos) release(id);
    });
    return slots.get() < before;
  }

  private void release(String id) {
    if (id != null && running.remove(id) != null) slots.decrementAndGet();
  }

  private Future<Reply> accept(Principal p, NewPayment n) {
    UInt128 from = UInt128.parse(n.fromAccountId());
    // The three checks are reads, so they are asked at once (each is a round trip on the request's path); their
    // answers are judged in this order, so the refusal is the one that asking them one after the other would give:
    // an account the caller does not own is 403 whatever the other answers are.
    Future<Set<UInt128>> mine = access.owned(p, List.of(from));
    Future<List<Account>> found = ledger.lookupAccounts(List.of(from));
    Future<Boolean> link = linked.ownedBy(p.subject(), n.linkedAccountId());
    return Future.join(mine, found, link).transform(checked -> {
      if (mine.failed()) return Future.<NewPayment>failedFuture(mine.cause());
      if (!mine.result().contains(from)) {
        return Future.<NewPayment>failedFuture(
            new ProblemException(Problem.of(403, "the token may not debit an account it does not own")));
      }
      if (found.failed()) return Future.<NewPayment>failedFuture(found.cause());
      Account a = found.result().isEmpty() ? null : found.result().get(0);
      if (a == null) {
        return Future.<NewPayment>failedFuture(invalid("from_account_id", "no such account"));
      }
      if (Integer.toUnsignedLong(a.ledger()) != n.ledger()) {
        return Future.<NewPayment>failedFuture(invalid("ledger", "must be the ledger of from_account_id ("
            + Integer.toUnsignedString(a.ledger()) + ")"));
      }
      if (link.failed()) return Future.<NewPayment>failedFuture(link.cause());
      if (!link.result()) {
        return Future.<NewPayment>failedFuture(invalid("linked_account_id", "no such linked account"));
      }
      return Future.succeededFuture(n);
    }).compose(ok -> store.create(n, created -> startEarly(created.id())))
        .map(created -> Reply.json(202, new JsonObject().put("id", created.id())
            .put("status", created.status().wireName())
            .put("links", new JsonObject().put("self", PATH + "/" + created.id())).toBuffer()))
        .recover(e -> Future.succeededFuture(refusal(e)));
  }

  /**
   * Asks a transactions node to start the saga now, once the row and {@code transaction.created} are committed,
   * instead of waiting for the relay to deliver the event (a relay hop is a NOTIFY, a read and a serial delivery).
   * Only a head start: the relay's delivery stays what guarantees the start (at least once, across restarts) and finds
   * the workflow started (one run per payment id), so a failure here changes nothing and is not reported.
   */
  private void startEarly(String id) {
    vertx.eventBus().request(TransactionsApi.START_PAYMENT, id);
  }

  /**
   * GET /v1/payments/{id}. With the transactions cache the answer is the entry {@code transaction:<id>} (written when
   * the payment reaches an outcome, dropped by every other change of its row), served only to its owner or an
   * operator or admin, with its validators as a balance has them: a strong {@code ETag}, {@code Age}, private
   * freshness, 304 for a known tag, and a read-through for {@code ?consistent=true} or {@code Cache-Control:
   * no-cache}.
   */
  public Handler<RoutingContext> get() {
    if (transactions == null) {
      return answer(rc -> visible(rc).map(pay -> Reply.json(200, json(pay).toBuffer())));
    }
    return rc -> {
      Principal p = Principal.of(rc);
      UUID uuid = uuid(rc.pathParam("id"));
      boolean consistent = CachedAnswers.consistent(rc);
      String ifNoneMatch = rc.request().getHeader("If-None-Match");
      if (uuid == null) {
        Reply.problem(ProblemHandler.standard(404)).send(rc, false);
        return;
      }
      // The entry's key is the id as the database writes it, which every change drops: an id sent in capitals
      // must not fill an entry of its own that nothing drops.
      String id = uuid.toString();
      transactions.get(id, consistent, () -> store.get(id).map(found -> found.map(PaymentAnswer::cached)
          .orElse(null))).onComplete(ar -> {
            if (ar.failed()) {
              LedgerReplies.of(ar.cause()).send(rc, false);
              return;
            }
            var e = ar.result();
            // The same 404 for a payment that does not exist and one that is someone else's, cached or not.
            if (e == null || e.value().kind() != TransactionCache.Kind.PAYMENT
                || !(e.value().owner().equals(p.subject()) || Access.privileged(p))) {
              Reply.problem(ProblemHandler.standard(404)).send(rc, false);
              return;
            }
            CachedAnswers.send(rc, CachedAnswers.View.of(e, transactions.now()), ifNoneMatch,
                transactions.debugHeaders());
          });
    };
  }

  /**
   * GET /v1/payments/{id}/events: the payment's event stream from the ledger event store, in version order; the
   * timestamp and transfer id are the ledger's (decimal strings, like every u64/u128 of the API).
   */
  public Handler<RoutingContext> events() {
    return answer(rc -> visible(rc).compose(pay -> store.events(pay.id())).map(events -> {
      JsonArray data = new JsonArray();
      for (dev.ledgerline.events.StoredEvent e : events) {
        data.add(new JsonObject().put("version", e.version()).put("type", e.type())
            .put("ledger_timestamp", Long.toUnsignedString(e.ledgerTimestamp()))
            .put("transfer_id", e.transferId().toString()).put("payload", e.payload()));
      }
      return Reply.json(200, new JsonObject().put("data", data).toBuffer());
    }));
  }

  /** GET /v1/payments?status=&cursor=&limit=: the caller's own payments, newest first. */
  public Handler<RoutingContext> list() {
    return answer(rc -> {
      QueryParams q = QueryParams.strict(rc.queryParams(), LIST_PARAMS);
      PaymentStatus status = q.get("status") == null ? null : status(q.get("status"));
      if (q.get("status") != null && status == null) {
        q.error("status", "must be one of " + statuses());
      }
      int limit = q.integer("limit", DEFAULT_LIMIT, 1, PaymentStore.MAX_PAGE);
      String cursor = q.get("cursor");
      q.cursor("cursor", PaymentRoutes::uuid, "not a cursor of this list");
      q.requireValid();
      return store.list(Principal.of(rc).subject(), status, cursor, limit).map(page -> {
        JsonObject out = new JsonObject().put("data", new JsonArray(page.payments().stream()
            .map(PaymentRoutes::json).toList()));
        out.put("next_cursor", page.nextCursor());
        return Reply.json(200, out.toBuffer());
      });
    });
  }

  /**
   * POST /v1/payments/{id}/cancel: 202 with the payment once the cancel is recorded (the saga compensates); 409 once
   * the external payment has succeeded or the payment is over. The owner cancels, and so does a caller who may
   * resolve payments ({@code operator:resolve}): the payments of an owner suspended while they run must be stoppable.
   */
  public Handler<RoutingContext> cancel() {
    return answer(rc -> {
      Principal p = Principal.of(rc);
      String id = rc.pathParam("id");
      return store.get(id).compose(found -> {
        Payment pay = found.filter(x -> x.owner().equals(p.subject()) || p.may(Permission.OPERATOR_RESOLVE))
            .orElseThrow(PaymentRoutes::notFound);
        return store.requestCancel(pay.id(), pay.owner(), p.subject()).compose(recorded -> {
          if (recorded.isEmpty()) {
            throw new ProblemException(Problem.of(409, "the payment can no longer be cancelled (status "
                + pay.status().wireName() + ")").withType(TYPE_NOT_CANCELLABLE));
          }
          // The flag is the record, read by a workflow when it starts: one not running yet, or not any more (no
          // transactions node answers, or Temporal knows no such workflow), finds it then. A running workflow reads
          // only the signal, so a delivery that failed or timed out is a 503 to send again (a repeat is harmless).
          Reply accepted = Reply.json(202, json(recorded.get()).toBuffer());
          return vertx.eventBus().request(TransactionsApi.CANCEL_PAYMENT, pay.id(),
                  new DeliveryOptions().setSendTimeout(signalTimeoutMs))
              .map(v -> accepted)
              .otherwise(e -> readsTheFlagAtStart(e) ? accepted : Reply.problem(Problem.of(503, "the cancel is "
                  + "recorded, but the payment's saga could not be told yet; send it again")
                  .withType(TYPE_CANCEL_NOT_DELIVERED)).withRetryAfter(1));
        });
      });
    });
  }

  /** No transactions node answered, or Temporal has no such workflow running: the flag is read when one starts. */
  private static boolean readsTheFlagAtStart(Throwable e) {
    return e instanceof ReplyException r && (r.failureType() == ReplyFailure.NO_HANDLERS
        || (r.failureType() == ReplyFailure.RECIPIENT_FAILURE && r.failureCode() == 404));
  }

  /**
   * POST /v1/payments/{id}/resolve (operators): {@code {"action":"retry"|"mark_resolved","reason"}} for a payment in
   * {@code needs_attention}; 202 once the workflow has the signal, 409 for any other status.
   */
  public Handler<RoutingContext> resolve() {
    return answer(rc -> {
      JsonObject body = StrictJson.object(rc.body().buffer().getBytes());
      List<FieldError> errors = new ArrayList<>();
      for (String name : body.fieldNames()) {
        if (!RESOLVE_FIELDS.contains(name)) errors.add(new FieldError(name, "unknown field"));
      }
      Object action = body.getValue("action");
      if (!"retry".equals(action) && !"mark_resolved".equals(action)) {
        errors.add(new FieldError("action", "must be retry or mark_resolved"));
      }
      Object reason = body.getValue("reason");
      if (!(reason instanceof String r) || r.isBlank() || r.length() > MAX_REASON) {
        errors.add(new FieldError("reason", "must be a non-empty string of at most " + MAX_REASON + " characters"));
      }
      if (!errors.isEmpty()) {
        throw new InvalidRequestException(errors);
      }
      String id = rc.pathParam("id");
      return store.get(id).compose(found -> {
        Payment pay = found.orElseThrow(PaymentRoutes::notFound);
        if (pay.status() != PaymentStatus.NEEDS_ATTENTION) {
          throw new ProblemException(Problem.of(409, "only a payment in needs_attention is resolved (status "
              + pay.status().wireName() + ")").withType(TYPE_NOT_RESOLVABLE));
        }
        JsonObject signal = new JsonObject().put("id", pay.id()).put("action", action)
            .put("reason", reason + " (by " + Principal.of(rc).subject() + ")");
        return vertx.eventBus().request(TransactionsApi.RESOLVE_PAYMENT, signal,
                new DeliveryOptions().setSendTimeout(signalTimeoutMs))
            .recover(e -> Future.failedFuture(new ProblemException(Problem.of(503, "the payment's workflow could "
                + "not be signalled; retry shortly"))))
            .map(v -> Reply.json(202, json(pay).put("resolve", new JsonObject().put("action", action)
                .put("reason", reason)).toBuffer()));
      });
    });
  }

  /** The payment of the path if the caller may see it: its owner, or an operator or admin; else 404. */
  private Future<Payment> visible(RoutingContext rc) {
    Principal p = Principal.of(rc);
    return store.get(rc.pathParam("id")).map(found -> found
        .filter(pay -> pay.owner().equals(p.subject()) || Access.privileged(p))
        .orElseThrow(PaymentRoutes::notFound));
  }

  /** The body of POST /v1/payments, checked field by field; every problem is reported at once. */
  NewPayment parse(String owner, byte[] bytes) {
    JsonObject b = StrictJson.object(bytes);
    List<FieldError> errors = new ArrayList<>();
    for (String name : b.fieldNames()) {
      if (!FIELDS.contains(name)) errors.add(new FieldError(name, "unknown field"));
    }
    String from = decimal(b, "from_account_id", errors, false);
    if (from != null && from.equals("0")) errors.add(new FieldError("from_account_id", "must not be 0"));
    String amount = decimal(b, "amount", errors, true);
    if (amount != null) {
      UInt128 a = UInt128.parse(amount);
      if (a.isZero()) {
        errors.add(new FieldError("amount", "must be greater than 0"));
      } else if (a.compareTo(maxAmount) > 0) {
        errors.add(new FieldError("amount", "must not exceed " + maxAmount));
      }
    }
    long ledgerId = integer(b, "ledger", 1, 0xFFFF_FFFFL, errors);
    long code = integer(b, "code", 1, 0xFFFF, errors);
    Object provider = b.getValue("provider");
    if (!(provider instanceof String s) || !PROVIDERS.contains(s)) {
      errors.add(new FieldError("provider", "must be one of " + PROVIDERS));
    }
    Object link = b.getValue("linked_account_id");
    // The form the API hands out, and the only one stored: a check on the link's payments compares it as text.
    if (!(link instanceof String l) || !Answers.canonicalUuid(l)) {
      errors.add(new FieldError("linked_account_id", "must be a linked account id (a lower-case UUID)"));
    }
    Object description = b.getValue("description");
    if (description != null && (!(description instanceof String d) || d.length() > MAX_DESCRIPTION)) {
      errors.add(new FieldError("description", "must be a string of at most " + MAX_DESCRIPTION + " characters"));
    }
    Object metadata = b.getValue("metadata");
    if (metadata != null && (!(metadata instanceof JsonObject m) || m.encode().length() > MAX_METADATA)) {
      errors.add(new FieldError("metadata", "must be an object of at most " + MAX_METADATA + " bytes as JSON"));
    }
    if (b.containsKey("description") && description == null || b.containsKey("metadata") && metadata == null) {
      errors.add(new FieldError(description == null && b.containsKey("description") ? "description" : "metadata",
          "must be omitted rather than null"));
    }
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
    return new NewPayment(owner, from, amount, ledgerId, (int) code, (String) provider, (String) link,
        (String) description, (JsonObject) metadata);
  }

  private static String decimal(JsonObject b, String field, List<FieldError> errors, boolean numberAllowed) {
    Object v = b.getValue(field);
    String text = v instanceof String s ? s
        : numberAllowed && (v instanceof Integer || v instanceof Long) ? v.toString() : null;
    if (text == null) {
      errors.add(new FieldError(field, v == null ? "is required" : "must be a decimal string"));
      return null;
    }
    String reason = Decimals.u128Problem(text);
    if (reason != null) {
      errors.add(new FieldError(field, reason));
      return null;
    }
    return text;
  }

  private static long integer(JsonObject b, String field, long min, long max, List<FieldError> errors) {
    Object v = b.getValue(field);
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min
        || ((Number) v).longValue() > max) {
      errors.add(new FieldError(field, v == null ? "is required" : "must be an integer from " + min + " to " + max));
      return 0;
    }
    return ((Number) v).longValue();
  }

  /** The answer of GET (also the body of the {@code transaction:<id>} cache entry). */
  static JsonObject json(Payment p) {
    return PaymentAnswer.json(p);
  }

  private static PaymentStatus status(String wire) {
    for (PaymentStatus s : PaymentStatus.values()) {
      if (s.wireName().equals(wire)) return s;
    }
    return null;
  }

  private static String statuses() {
    return String.join(", ", java.util.Arrays.stream(PaymentStatus.values()).map(PaymentStatus::wireName).toList());
  }

  private static UUID uuid(String s) {
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** A well-formed body that names something it may not: 422 with the field, nothing written. */
  private static ProblemException invalid(String field, String reason) {
    return new ProblemException(Problem.of(422, field + ": " + reason).withType(Problem.TYPE_VALIDATION)
        .withErrors(List.of(new FieldError(field, reason))));
  }

  private static ProblemException notFound() {
    return new ProblemException(ProblemHandler.standard(404));
  }

  /** A refusal is not kept under the Idempotency-Key: nothing was written, a corrected retry is judged again. */
  private static Reply refusal(Throwable e) {
    Reply r = LedgerReplies.of(e);
    return r.status() >= 400 && r.status() < 500 ? r.notKept() : r;
  }

  private static Handler<RoutingContext> answer(Function<RoutingContext, Future<Reply>> route) {
    return Answers.answer(route, LedgerReplies::of);
  }
}
