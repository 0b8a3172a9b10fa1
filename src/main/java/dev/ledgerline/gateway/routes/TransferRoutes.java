package dev.ledgerline.gateway.routes;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.cache.TransactionCache;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.access.CreditAccountPrivacy;
import dev.ledgerline.gateway.access.ExistingTransfers;
import dev.ledgerline.gateway.access.TransferAuthorizer;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.idempotency.Idempotent;
import dev.ledgerline.gateway.idempotency.LedgerIdempotent;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.Decimals;
import dev.ledgerline.gateway.json.RequestParser;
import dev.ledgerline.gateway.json.ResponseJson;
import dev.ledgerline.gateway.json.TransferRequest;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Results;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** {@code /v1/transfers...}: create one, create a batch, read one. */
public final class TransferRoutes {
  public static final String CREATE = "POST /v1/transfers";
  public static final String BATCH = "POST /v1/transfers/batch";

  private final BalanceCache balances;
  /** Null: GET reads the ledger every time. */
  private final TransactionCache transactions;
  private final LedgerClient ledger;
  private final Access access;
  private final TransferAuthorizer authorizer;
  private final CreditAccountPrivacy privacy;
  private final ExistingTransfers existing;

  /** @param maxAmount the largest amount a user may create or post ({@code gateway.transfers.max-amount}) */
  public TransferRoutes(LedgerClient ledger, Access access, UInt128 maxAmount) {
    this(ledger, access, maxAmount, null, null);
  }

  /**
   * @param balances dropped for both accounts of every transfer written here before the answer; may be null
   * @param transactions the {@code transaction:<id>} entries GET reads through; may be null
   */
  public TransferRoutes(LedgerClient ledger, Access access, UInt128 maxAmount, BalanceCache balances,
      TransactionCache transactions) {
    this.balances = balances;
    this.transactions = transactions;
    this.ledger = ledger;
    this.access = access;
    this.authorizer = new TransferAuthorizer(ledger, access, maxAmount);
    this.privacy = new CreditAccountPrivacy(ledger, access);
    this.existing = new ExistingTransfers(ledger, access);
  }

  /** POST /v1/transfers: 201 ok, 200 exists, 409/404/422 with the ledger's result name. */
  public Future<Reply> create(RoutingContext rc, Principal p, String key) {
    Plan plan = plan(rc, p, key, CREATE);
    UInt128 id = plan.ids().get(0);
    Transfer t = plan.transfers().get(0);
    return authorizer.authorize(p, List.of(t), false).compose(touched -> written(rc, List.of(t), touched))
        .compose(results -> {
          CreateTransferResult r = results.isEmpty() ? CreateTransferResult.OK : results.get(0).result();
          int status = LedgerReplies.status(r);
          if (ExistingTransfers.exists(r)) {
            // The same answer for every taken id whose transfer the caller may not see, whatever it holds.
            return existing.hidden(p, List.of(id), List.of(r)).map(hidden -> !hidden.isEmpty()
                ? LedgerReplies.idTaken("a transfer", id)
                : status < 300 ? Reply.json(status, result(id, r))
                : LedgerReplies.resultProblem(status, r.toString(), id));
          }
          if (status < 300) {
            return Future.succeededFuture(Reply.json(status, result(id, r)));
          }
          return privacy.names(p, List.of(t), List.of(r))
              .map(names -> LedgerReplies.resultProblem(status, names.get(0), id));
        });
  }

  /**
   * POST /v1/transfers/batch: 200 with one result per transfer, in request order. Authorization covers the whole
   * batch: one refused transfer refuses the request and nothing is executed.
   */
  public Future<Reply> batch(RoutingContext rc, Principal p, String key) {
    Plan plan = plan(rc, p, key, BATCH);
    List<Transfer> transfers = plan.transfers();
    List<UInt128> ids = plan.ids();
    return authorizer.authorize(p, transfers, true).compose(touched -> written(rc, transfers, touched))
        .compose(results -> {
          List<CreateTransferResult> all = Arrays.asList(Results.expandTransfers(results, transfers.size()));
          return privacy.names(p, transfers, all).compose(names -> existing.hidden(p, ids, all).map(hidden -> {
            hidden.forEach(i -> names.set(i, ExistingTransfers.TAKEN));
            return Reply.json(200, ResponseJson.transferResults(ids, names));
          }));
        });
  }

  /** A request's transfers and their ids (given, or derived from (route, subject, key, index)), parsed once. */
  private record Plan(List<Transfer> transfers, List<UInt128> ids, boolean derived) {}

  private static final String PLAN = "ledgerline.transfers.plan";
  /** The ledger's result per transfer, in request order, once the write was answered. */
  private static final String RESULTS = "ledgerline.transfers.results";

  private static Plan plan(RoutingContext rc, Principal p, String key, String route) {
    Plan cached = rc.get(PLAN);
    if (cached != null) {
      return cached;
    }
    byte[] body = rc.body().buffer().getBytes();
    List<TransferRequest> reqs = route.equals(CREATE) ? List.of(RequestParser.transfer(body))
        : RequestParser.transfers(body);
    List<Transfer> transfers = new ArrayList<>(reqs.size());
    List<UInt128> ids = new ArrayList<>(reqs.size());
    boolean derived = true;
    for (int i = 0; i < reqs.size(); i++) {
      TransferRequest req = reqs.get(i);
      UInt128 id = req.hasId() ? req.id() : DerivedIds.of(route, p.subject(), key, i);
      derived &= !req.hasId();
      ids.add(id);
      transfers.add(req.toTransfer(() -> id));
    }
    Plan plan = new Plan(transfers, ids, derived);
    rc.put(PLAN, plan);
    return plan;
  }

  /** POST /v1/transfers under its idempotency key in the ledger's way ({@link LedgerIdempotent}). */
  public LedgerIdempotent.Write createWrite() {
    return write(CREATE, this::create, (ids, r) -> Reply.json(LedgerReplies.status(r), result(ids.get(0), r)));
  }

  /** POST /v1/transfers/batch under its idempotency key in the ledger's way ({@link LedgerIdempotent}). */
  public LedgerIdempotent.Write batchWrite() {
    return write(BATCH, this::batch, (ids, r) -> Reply.json(200,
        ResponseJson.transferResults(ids, java.util.Collections.nCopies(ids.size(), r))));
  }

  private LedgerIdempotent.Write write(String route, Idempotent.Action action,
      java.util.function.BiFunction<List<UInt128>, CreateTransferResult, Reply> uniform) {
    return new LedgerIdempotent.Write() {
      @Override
      public Future<Reply> run(RoutingContext rc, Principal principal, String key) {
        return action.run(rc, principal, key);
      }

      @Override
      public LedgerIdempotent.Ids ids(RoutingContext rc, Principal principal, String key) {
        Plan plan = plan(rc, principal, key, route);
        return new LedgerIdempotent.Ids(plan.ids(), plan.derived());
      }

      @Override
      public Reply uniform(List<UInt128> ids, CreateTransferResult result) {
        return uniform.apply(ids, result);
      }

      @Override
      public List<CreateTransferResult> results(RoutingContext rc) {
        return rc.get(RESULTS);
      }

      @Override
      public Future<List<Transfer>> lookup(List<UInt128> ids) {
        return ledger.lookupTransfers(ids);
      }
    };
  }

  /**
   * Creates the transfers, then drops the cached balances of the accounts they touched (a post's or void's are its
   * pending transfer's, which the request need not name) here, in memory and Redis, before the caller hears of it, so
   * that the caller's next read on this node sees its write; other nodes drop them on the committed feed.
   */
  private Future<List<CreateTransfersResult>> written(RoutingContext rc, List<Transfer> transfers,
      Set<UInt128> touched) {
    Future<List<CreateTransfersResult>> created = ledger.createTransfers(transfers).onSuccess(results ->
        rc.put(RESULTS, Arrays.asList(Results.expandTransfers(results, transfers.size()))));
    if (balances == null) {
      return created;
    }
    return created.compose(results -> balances.written(touched).map(results));
  }

  /**
   * GET /v1/transfers/{id}: visible to a user only when it touches an account the user owns. With the transactions
   * cache, a transfer (which never changes) is read through {@code transaction:<id>}; the owner check runs on the
   * entry's accounts before anything of it is sent, and the answer carries the cache's validators as a balance does.
   */
  public Handler<RoutingContext> get() {
    return rc -> {
      Principal p = Principal.of(rc);
      UInt128 id = Decimals.u128("id", rc.pathParam("id"));
      if (transactions == null) {
        ledger.lookupTransfers(List.of(id)).compose(found -> {
          if (found.isEmpty()) {
            return Future.succeededFuture(Reply.problem(ProblemHandler.standard(404)));
          }
          Transfer t = found.get(0);
          return access.canReadAny(p, t.debitAccountId(), t.creditAccountId()).map(ok -> ok
              ? Reply.json(200, ResponseJson.transfer(t)) : Reply.problem(ProblemHandler.standard(404)));
        }).onComplete(ar -> (ar.succeeded() ? ar.result() : LedgerReplies.of(ar.cause())).send(rc, false));
        return;
      }
      boolean consistent = CachedAnswers.consistent(rc);
      String ifNoneMatch = rc.request().getHeader("If-None-Match");
      transactions.get(id.toString(), consistent, () -> ledger.lookupTransfers(List.of(id))
              .map(found -> found.isEmpty() ? null : cached(found.get(0))))
          .compose(e -> {
            if (e == null || e.value().kind() != TransactionCache.Kind.TRANSFER) {
              return Future.succeededFuture(null);
            }
            List<String> accounts = e.value().accounts();
            return access.canReadAny(p, UInt128.parse(accounts.get(0)), UInt128.parse(accounts.get(1)))
                .map(ok -> ok ? e : null);
          }).onComplete(ar -> {
            if (ar.failed()) {
              LedgerReplies.of(ar.cause()).send(rc, false);
            } else if (ar.result() == null) {
              Reply.problem(ProblemHandler.standard(404)).send(rc, false);
            } else {
              CachedAnswers.send(rc, CachedAnswers.View.of(ar.result(), transactions.now()), ifNoneMatch,
                  transactions.debugHeaders());
            }
          });
    };
  }

  /** A transfer's entry: its answer, versioned by its ledger timestamp, with the accounts that decide who reads it. */
  private static TransactionCache.Cached cached(Transfer t) {
    return TransactionCache.Cached.of(TransactionCache.Kind.TRANSFER, t.timestamp(), null,
        List.of(t.debitAccountId().toString(), t.creditAccountId().toString()), ResponseJson.transfer(t));
  }

  private static Buffer result(UInt128 id, CreateTransferResult r) {
    return Buffer.buffer("{\"id\":\"" + id + "\",\"result\":\"" + r + "\"}");
  }
}
