package dev.ledgerline.ledger;

import dev.ledgerline.ledger.LedgerApi.AccountQuery;
import dev.ledgerline.ledger.LedgerApi.Accounts;
import dev.ledgerline.ledger.LedgerApi.Balances;
import dev.ledgerline.ledger.LedgerApi.CreateAccounts;
import dev.ledgerline.ledger.LedgerApi.CreateAccountsReply;
import dev.ledgerline.ledger.LedgerApi.CreateTransfers;
import dev.ledgerline.ledger.LedgerApi.CreateTransfersReply;
import dev.ledgerline.ledger.LedgerApi.Lookup;
import dev.ledgerline.ledger.LedgerApi.Query;
import dev.ledgerline.ledger.LedgerApi.Transfers;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.ledger.model.EventResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The only way other verticles reach the ledger: typed Futures over the (clustered) event bus. Failures are typed:
 * {@link LedgerOverloadedException} (retry later; nothing executed), {@link LedgerTimeoutException} (for creates:
 * outcome unknown, look the ids up), {@link LedgerOutcomeUnknownException} (the ledger halted while making the write
 * durable: outcome unknown), {@link RequestTooLargeException}, {@link LedgerUnavailableException}, or
 * {@link LedgerException} for anything else.
 *
 * <p>Create results carry only the failed events, indexes relative to the request ({@code Results.expand*}).
 */
public final class LedgerClient {
  /** The event bus waits this much longer than the ledger's own deadline, so the ledger's answer arrives first. */
  private static final Duration BUS_MARGIN = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final DeliveryOptions options;
  /** This client's key in a context's data: clients with other timeouts keep their own coalescers. */
  private final Object coalescersKey = new Object();

  /** A client whose requests give up after {@code requestTimeout} (plus a margin for the ledger's own answer). */
  public LedgerClient(Vertx vertx, Duration requestTimeout) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(requestTimeout.plus(BUS_MARGIN).toMillis());
  }

  /** A client for a node's verticles, using the node's {@code ledger.request-timeout}. */
  public static LedgerClient create(NodeContext node) {
    return new LedgerClient(node.vertx(), node.config().ledger().requestTimeout());
  }

  public Future<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
    return create(Operation.CREATE_ACCOUNTS, accounts);
  }

  public Future<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
    return create(Operation.CREATE_TRANSFERS, transfers);
  }

  /**
   * On an event loop, the request joins the others this loop makes in the same tick ({@link CreateCoalescer});
   * anywhere else it travels alone.
   */
  private <E extends Event, R extends EventResult> Future<List<R>> create(Operation<E, R> op, List<E> events) {
    if (events.size() > LedgerBackend.BATCH_MAX) return Future.failedFuture(tooLarge(events.size()));
    Context context = Vertx.currentContext();
    if (context == null || !context.isEventLoopContext() || context.owner() != vertx) return alone(op, events);
    Coalescers coalescers = context.get(coalescersKey);
    if (coalescers == null) {
      coalescers = new Coalescers(new CreateCoalescer<>(context, Operation.CREATE_ACCOUNTS, options, this::alone),
          new CreateCoalescer<>(context, Operation.CREATE_TRANSFERS, options, this::alone));
      context.put(coalescersKey, coalescers);
    }
    return coalescers.of(op).add(events);
  }

  /** One request, one message. */
  @SuppressWarnings("unchecked")
  private <E extends Event, R extends EventResult> Future<List<R>> alone(Operation<E, R> op, List<E> events) {
    Object message = op == (Object) Operation.CREATE_TRANSFERS
        ? new CreateTransfers((List<Transfer>) events) : new CreateAccounts((List<Account>) events);
    return this.<Object>request(op.address(), message, () -> events.stream().map(Event::id).toList())
        .map(reply -> (List<R>) (reply instanceof CreateTransfersReply t ? t.results()
            : ((CreateAccountsReply) reply).results()));
  }

  /** The coalescers of one event-loop context (kept in its data, which its duplicated contexts share). */
  private record Coalescers(CreateCoalescer<Account, CreateAccountsResult> accounts,
      CreateCoalescer<Transfer, CreateTransfersResult> transfers) {
    @SuppressWarnings("unchecked")
    <E extends Event, R extends EventResult> CreateCoalescer<E, R> of(Operation<E, R> op) {
      return (CreateCoalescer<E, R>) (op == (Object) Operation.CREATE_TRANSFERS ? transfers : accounts);
    }
  }

  /** The accounts found, in request order; missing ids are left out. */
  public Future<List<Account>> lookupAccounts(List<UInt128> ids) {
    if (ids.size() > LedgerBackend.BATCH_MAX) return Future.failedFuture(tooLarge(ids.size()));
    return this.<Accounts>request(LedgerApi.LOOKUP_ACCOUNTS, new Lookup(ids), () -> ids).map(Accounts::accounts);
  }

  /** The transfers found, in request order; missing ids are left out. */
  public Future<List<Transfer>> lookupTransfers(List<UInt128> ids) {
    if (ids.size() > LedgerBackend.BATCH_MAX) return Future.failedFuture(tooLarge(ids.size()));
    return this.<Transfers>request(LedgerApi.LOOKUP_TRANSFERS, new Lookup(ids), () -> ids).map(Transfers::transfers);
  }

  public Future<List<Transfer>> getAccountTransfers(AccountFilter filter) {
    return this.<Transfers>request(LedgerApi.ACCOUNT_TRANSFERS, new AccountQuery(filter),
        () -> List.of(filter.accountId())).map(Transfers::transfers);
  }

  public Future<List<AccountBalance>> getAccountBalances(AccountFilter filter) {
    return this.<Balances>request(LedgerApi.ACCOUNT_BALANCES, new AccountQuery(filter),
        () -> List.of(filter.accountId())).map(Balances::balances);
  }

  public Future<List<Account>> queryAccounts(QueryFilter filter) {
    return this.<Accounts>request(LedgerApi.QUERY_ACCOUNTS, new Query(filter), List::of).map(Accounts::accounts);
  }

  public Future<List<Transfer>> queryTransfers(QueryFilter filter) {
    return this.<Transfers>request(LedgerApi.QUERY_TRANSFERS, new Query(filter), List::of)
        .map(Transfers::transfers);
  }

  /**
   * The committed-transfer feed from any node: transfers with a timestamp above {@code cursor}, at most
   * {@code limit}, in commit order ({@link LedgerBackend#transfersAfter}). A consumer keeps the last timestamp it
   * has handled as its cursor.
   */
  public Future<List<Transfer>> transfersAfter(long cursor, int limit) {
    if (cursor == -1L || cursor + 1 == -1L) return Future.succeededFuture(List.of());
    return queryTransfers(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, cursor + 1, 0, limit, 0));
  }

  private static RequestTooLargeException tooLarge(int events) {
    return new RequestTooLargeException(events, "request of " + events + " events exceeds the ledger's limit of "
        + LedgerBackend.BATCH_MAX + " per request");
  }

  private <R> Future<R> request(String address, Object body, Supplier<List<UInt128>> ids) {
    return vertx.eventBus().<R>request(address, body, options)
        .transform(ar -> ar.succeeded() ? Future.succeededFuture(ar.result().body())
            : Future.failedFuture(typed(address, ar.cause(), ids)));
  }

  /** Maps an event-bus failure to the ledger's typed errors; the ids come from the request, not the wire. */
  static Throwable typed(String address, Throwable cause, Supplier<List<UInt128>> ids) {
    if (!(cause instanceof ReplyException re)) return cause;
    String message = re.getMessage() == null ? "" : re.getMessage();
    switch (re.failureType()) {
      case NO_HANDLERS:
        return new LedgerUnavailableException("no ledger node is reachable for " + address);
      case TIMEOUT:
        // The request may have reached the ledger and committed: unknown, never failed.
        return new LedgerTimeoutException(address, ids.get(), address + ": no answer from the ledger in time"
            + (LedgerApi.isWrite(address) ? "; outcome unknown, look the ids up" : ""));
      case RECIPIENT_FAILURE:
        switch (re.failureCode()) {
          case LedgerApi.FAILURE_OVERLOADED:
            return new LedgerOverloadedException(message);
          case LedgerApi.FAILURE_TIMEOUT:
            return new LedgerTimeoutException(address, ids.get(), message);
          case LedgerApi.FAILURE_BATCH_TOO_LARGE:
            return new RequestTooLargeException(ids.get().size(), message);
          case LedgerApi.FAILURE_UNAVAILABLE:
            return new LedgerUnavailableException(message);
          case LedgerApi.FAILURE_OUTCOME_UNKNOWN:
            return new LedgerOutcomeUnknownException(address, ids.get(), message);
          case LedgerApi.FAILURE_NOT_LEADER:
            return new LedgerNotLeaderException(message);
          default:
            return new LedgerException(message);
        }
      default:
        return new LedgerException(address + ": " + message, re);
    }
  }
}
