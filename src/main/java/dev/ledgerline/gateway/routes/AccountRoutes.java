package dev.ledgerline.gateway.routes;

import dev.ledgerline.cache.BalanceCache;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.AccountRequest;
import dev.ledgerline.gateway.json.Decimals;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.RequestParser;
import dev.ledgerline.gateway.json.ResponseJson;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.Ids;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code /v1/accounts...}: create, read, history and (operators) query. */
public final class AccountRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(AccountRoutes.class);
  public static final String CREATE = "POST /v1/accounts";

  private final LedgerClient ledger;
  private final Access access;
  /** Null: every read goes to the ledger. */
  private final BalanceCache balances;

  public AccountRoutes(LedgerClient ledger, Access access) {
    this(ledger, access, null);
  }

  public AccountRoutes(LedgerClient ledger, Access access, BalanceCache balances) {
    this.ledger = ledger;
    this.access = access;
    this.balances = balances;
  }

  /**
   * POST /v1/accounts. The caller becomes the owner only when the ledger creates the account for it ({@code ok});
   * a refused create records nothing. {@code exists} (or {@code exists_with_different_*}) is passed on only to the
   * recorded owner (and operators); anyone else gets the same 409 {@code exists} whoever owns the id and however its
   * fields differ, so that neither the owner nor the account's fields are revealed. An {@code exists} without an
   * owner row for an id derived from the caller's own key is the caller's earlier create whose owner was lost: the
   * caller is recorded as its owner.
   */
  public Future<Reply> create(RoutingContext rc, Principal p, String key) {
    AccountRequest req = RequestParser.account(rc.body().buffer().getBytes());
    UInt128 id = req.hasId() ? req.id() : key != null ? DerivedIds.of(CREATE, p.subject(), key, 0) : Ids.next();
    Account account = req.toAccount(() -> id);
    return ledger.createAccounts(List.of(account)).compose(results -> {
      CreateAccountResult r = results.isEmpty() ? CreateAccountResult.OK : results.get(0).result();
      if (r == CreateAccountResult.OK) {
        return access.owners().recordCreated(id.toString(), p.subject())
            .compose(v -> created(201, account, id), err -> ownerNotRecorded(id, p, err));
      }
      if (r != CreateAccountResult.EXISTS && !r.name().startsWith("EXISTS_WITH_DIFFERENT_")) {
        return Future.succeededFuture(LedgerReplies.resultProblem(LedgerReplies.status(r), r.toString(), id));
      }
      return access.owners().ownerOfUncached(id.toString()).compose(owner -> {
        if (owner.isEmpty() && r == CreateAccountResult.EXISTS && !req.hasId() && key != null) {
          // An id derived from this subject's own key (DerivedIds) can only have been written by this subject's
          // earlier create with that key, whose owner row was lost (504 outcome unknown, or PostgreSQL failing
          // after the ledger's ok); had another user sent the id explicitly, its owner row would be there.
          return access.owners().recordCreated(id.toString(), p.subject())
              .compose(v -> created(200, account, id), err -> ownerNotRecorded(id, p, err));
        }
        if (!Access.privileged(p) && !owner.map(p.subject()::equals).orElse(false)) {
          // The same answer for every id the caller does not own, whoever owns it.
          return Future.succeededFuture(LedgerReplies.idTaken("an account", id));
        }
        int status = LedgerReplies.status(r);
        return status >= 300 ? Future.succeededFuture(LedgerReplies.resultProblem(status, r.toString(), id))
            : created(status, account, id);
      });
    });
  }

  /**
   * The created account's answer. With the balance cache it is read through the cache, which primes it: the next
   * GET is answered from memory. The version is what any load of the account gives (its latest transfer's timestamp,
   * else its own creation timestamp), never 0: a made-up version would differ from the one the next load gives for
   * the same balance, and would claim a balance older than the account. It is read rather than stored from the
   * create's answer, because a transfer may reach the account between the create and this read; a read-through
   * whose key a committed transfer drops meanwhile stores nothing. The answer carries the balance's {@code ETag}
   * and {@code Age} as GET does; a replay of the stored answer goes without them (see {@link Reply#headers}).
   */
  private Future<Reply> created(int status, Account account, UInt128 id) {
    if (balances != null) {
      return balances.get(id, true).map(a -> a.balance() == null
          ? Reply.json(status, ResponseJson.account(account))
          : CachedAnswers.stated(Reply.json(status, ResponseJson.account(a.balance().account())), a,
              balances.settings().debugHeaders()));
    }
    return ledger.lookupAccounts(List.of(id)).map(found -> found.isEmpty()
        ? Reply.json(status, ResponseJson.account(account))
        : Reply.json(status, ResponseJson.account(found.get(0))));
  }

  private static Future<Reply> ownerNotRecorded(UInt128 id, Principal p, Throwable err) {
    // Rare (PostgreSQL failed right after the ledger's ok): the account exists without an owner, so only operators
    // reach it until one records the owner. Logged so that it can be done.
    LOG.error("account {} was created for {} but its owner could not be recorded: {}", id, p.subject(),
        err.toString());
    return Future.succeededFuture(Reply.problem(Problem.of(503, "the account was created but its owner could not be "
        + "recorded; ask an operator to assign account " + id)).notKept());
  }

  /**
   * GET /v1/accounts/{id}. The owner check runs first, so a cached balance is only ever served to a caller allowed to
   * read the account. With the balance cache, the answer carries its version as a strong {@code ETag}, its
   * {@code Age}, and {@code Cache-Control: private, max-age=<fresh time left>} ({@code Vary: Authorization, Cookie}):
   * only the caller's own client may keep it. {@code If-None-Match} with the version this node's memory holds answers
   * 304 without asking the ledger; {@code Cache-Control: no-cache} on the request or {@code ?consistent=true} reads
   * through to the ledger.
   */
  public Handler<RoutingContext> get() {
    return rc -> {
      Principal p = Principal.of(rc);
      UInt128 id = Decimals.u128("id", rc.pathParam("id"));
      if (balances == null) {
        access.requireRead(p, id).compose(v -> ledger.lookupAccounts(List.of(id))).onComplete(ar -> {
          if (ar.failed()) {
            LedgerReplies.of(ar.cause()).send(rc, false);
          } else if (ar.result().isEmpty()) {
            Reply.problem(ProblemHandler.standard(404)).send(rc, false);
          } else {
            Reply.json(200, ResponseJson.account(ar.result().get(0))).send(rc, false);
          }
        });
        return;
      }
      boolean consistent = CachedAnswers.consistent(rc);
      String ifNoneMatch = rc.request().getHeader("If-None-Match");
      access.requireRead(p, id).compose(v -> {
        if (!consistent && ifNoneMatch != null) {
          // The version this node's memory holds answers a revalidation without the ledger.
          BalanceCache.Answer known = balances.known(id);
          if (known != null && CachedAnswers.matches(ifNoneMatch, known.balance().etag())) {
            return Future.succeededFuture(known);
          }
        }
        return balances.get(id, consistent);
      }).onComplete(ar -> {
        if (ar.failed()) {
          LedgerReplies.of(ar.cause()).send(rc, false);
        } else if (ar.result().balance() == null) {
          Reply.problem(ProblemHandler.standard(404)).send(rc, false);
        } else {
          CachedAnswers.send(rc, ar.result(), ifNoneMatch, balances.settings().debugHeaders());
        }
      });
    };
  }

  /** GET /v1/accounts/{id}/transfers and /balances. */
  public Handler<RoutingContext> history(boolean balances) {
    return rc -> {
      Principal p = Principal.of(rc);
      UInt128 id = Decimals.u128("id", rc.pathParam("id"));
      MultiMap q = rc.queryParams();
      Page page = Page.read(q, Set.of("debits", "credits"));
      List<FieldError> errors = new ArrayList<>();
      boolean debits = Page.bool(q, "debits", true, errors);
      boolean credits = Page.bool(q, "credits", true, errors);
      if (!debits && !credits) {
        errors.add(new FieldError("debits", "debits and credits must not both be false"));
      }
      if (!errors.isEmpty()) {
        throw new InvalidRequestException(errors);
      }
      int flags = (debits ? AccountFilterFlags.DEBITS : 0) | (credits ? AccountFilterFlags.CREDITS : 0)
          | (page.descending() ? AccountFilterFlags.REVERSED : 0);
      // One more than asked tells whether there is a next page.
      AccountFilter filter = new AccountFilter(id, UInt128.ZERO, 0, 0, 0, page.timestampMin(), page.timestampMax(),
          page.limit() + 1, flags);
      // The account from the ledger, not from the balance cache: this route is the benchmark's direct read
      // (docs/caching.md, "Benchmark"), and history is not served from the cache.
      access.requireRead(p, id).compose(v -> ledger.lookupAccounts(List.of(id))).compose(found -> {
        if (found.isEmpty()) {
          return Future.failedFuture(new ProblemException(ProblemHandler.standard(404)));
        }
        return balances ? ledger.getAccountBalances(filter).map(list -> balancesPage(list, page))
            : ledger.getAccountTransfers(filter).map(list -> transfersPage(list, page));
      }).onComplete(ar -> (ar.succeeded() ? ar.result() : LedgerReplies.of(ar.cause())).send(rc, false));
    };
  }

  /**
   * GET /v1/accounts?ledger=&code=&user_data_*= (operators; the route checks the role). The query finds the
   * accounts; with the balance cache their balances are then read through it (one multi-get for the page), so each
   * row shows the same balance GET /v1/accounts/{id} would, with its {@code balance_version} and
   * {@code balance_age_ms}; {@code ?consistent=true} or {@code Cache-Control: no-cache} reads them all through.
   */
  public Handler<RoutingContext> query() {
    return rc -> {
      MultiMap q = rc.queryParams();
      Page page = Page.read(q, Set.of("ledger", "code", "user_data_128", "user_data_64", "user_data_32",
          "consistent"));
      List<FieldError> errors = new ArrayList<>();
      int ledgerId = Page.u32(q, "ledger", errors);
      int code = Page.u32(q, "code", errors);
      if (code > 0xFFFF || code < 0) {
        errors.add(new FieldError("code", "must be an integer from 0 to 65535"));
      }
      int ud32 = Page.u32(q, "user_data_32", errors);
      UInt128 ud128 = UInt128.ZERO;
      long ud64 = 0;
      try {
        if (q.get("user_data_128") != null) {
          ud128 = Decimals.u128("user_data_128", q.get("user_data_128"));
        }
        if (q.get("user_data_64") != null) {
          ud64 = Decimals.u64("user_data_64", q.get("user_data_64"));
        }
      } catch (InvalidRequestException e) {
        errors.addAll(e.errors());
      }
      if (!errors.isEmpty()) {
        throw new InvalidRequestException(errors);
      }
      QueryFilter filter = new QueryFilter(ud128, ud64, ud32, ledgerId, code, page.timestampMin(),
          page.timestampMax(), page.limit() + 1, page.descending() ? QueryFilterFlags.REVERSED : 0);
      boolean consistent = CachedAnswers.consistent(rc);
      ledger.queryAccounts(filter).compose(list -> {
        boolean more = list.size() > page.limit();
        List<Account> shown = more ? list.subList(0, page.limit()) : list;
        return rows(shown, consistent).map(rows -> {
          JsonObject body = new JsonObject(rows).put("has_more", more);
          if (more) {
            body.put("next_cursor", page.next(shown.get(shown.size() - 1).timestamp()));
          }
          return Reply.json(200, body.toBuffer());
        });
      }).onComplete(ar -> (ar.succeeded() ? ar.result() : LedgerReplies.of(ar.cause())).send(rc, false));
    };
  }

  /**
   * {@code {"accounts": [...]}} with each balance from the cache and stamped with its version and age. A row the
   * cache does not answer for (the account was not found by its lookup) shows the query's own read, unstamped.
   */
  private Future<io.vertx.core.buffer.Buffer> rows(List<Account> shown, boolean consistent) {
    if (balances == null) {
      return Future.succeededFuture(ResponseJson.accounts(shown));
    }
    List<UInt128> ids = new ArrayList<>();
    shown.forEach(a -> ids.add(a.id()));
    return balances.getAll(ids, consistent).map(answers -> {
      List<Account> accounts = new ArrayList<>();
      List<ResponseJson.BalanceStamp> stamps = new ArrayList<>();
      for (Account a : shown) {
        BalanceCache.Answer c = answers.get(a.id());
        boolean cached = c != null && c.balance() != null;
        accounts.add(cached ? c.balance().account() : a);
        stamps.add(cached ? new ResponseJson.BalanceStamp(c.balance().version(), c.ageMillis()) : null);
      }
      return ResponseJson.accounts(accounts, stamps);
    });
  }

  private static Reply transfersPage(List<Transfer> list, Page page) {
    boolean more = list.size() > page.limit();
    List<Transfer> shown = more ? list.subList(0, page.limit()) : list;
    JsonObject body = new JsonObject(ResponseJson.transfers(shown)).put("has_more", more);
    if (more) {
      body.put("next_cursor", page.next(shown.get(shown.size() - 1).timestamp()));
    }
    return Reply.json(200, body.toBuffer());
  }

  private static Reply balancesPage(List<AccountBalance> list, Page page) {
    boolean more = list.size() > page.limit();
    List<AccountBalance> shown = more ? list.subList(0, page.limit()) : list;
    JsonArray items = new JsonArray();
    for (AccountBalance b : shown) {
      items.add(new JsonObject().put("debits_pending", b.debitsPending().toString())
          .put("debits_posted", b.debitsPosted().toString())
          .put("credits_pending", b.creditsPending().toString())
          .put("credits_posted", b.creditsPosted().toString())
          .put("timestamp", Long.toUnsignedString(b.timestamp())));
    }
    JsonObject body = new JsonObject().put("balances", items).put("has_more", more);
    if (more) {
      body.put("next_cursor", page.next(shown.get(shown.size() - 1).timestamp()));
    }
    return Reply.json(200, body.toBuffer());
  }
}
