package dev.ledgerline.gateway.access;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Refused;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.ReservedIds;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Object-level authorization of transfers, before anything reaches the ledger. Operators and admins may do anything.
 * A user needs, per transfer:
 *
 * <ul>
 *   <li>to own the debit account (which also covers {@code balancing_debit} and {@code closing_debit});
 *   <li>to own the credit account too when the transfer carries {@code balancing_credit} (its amount would reveal
 *       the credit account's balance) or {@code closing_credit} (it would close the credit account);
 *   <li>for {@code post_pending_transfer}: to own the pending transfer's debit account (the payer completes its own
 *       hold);
 *   <li>for {@code void_pending_transfer}: to own the pending transfer's debit account, or its credit account (the
 *       payee may decline money held for it; a void only releases the hold), except that a pending transfer that
 *       closes its debit account is voided only by the debit account's owner, since the void reopens that account.
 * </ul>
 *
 * The pending transfer of a post or void is looked up in the ledger; failing that, it may be an earlier transfer of
 * the same linked chain of the request (which fails the whole chain if it is not created). A pending transfer that
 * cannot be found, or whose accounts are both someone else's, is answered 404 {@code pending_transfer_not_found}, as
 * the ledger would, so that nobody learns whether another user's transfer exists. A batch is authorized as a whole:
 * one refused transfer refuses the request (with its {@code index}) and nothing is executed. Refusals are not stored
 * under the request's {@code Idempotency-Key}: a retry is authorized again.
 *
 * <p>Nobody, operators included, may create, post or void through the API a transfer that touches the payment saga's
 * system accounts (its clearing account and the providers' settlement accounts, {@link PaymentLedgerIds}): the
 * saga's holds are posted, voided and reversed only by the saga, or a user could release the hold on their own
 * payment while the provider moves the money (403, nothing executed). An operator's tool for a stuck payment is
 * {@code POST /v1/payments/{id}/resolve}.
 *
 * <p>A user's transfer amounts are also capped here ({@code gateway.transfers.max-amount}, 422 naming the field).
 */
public final class TransferAuthorizer {
  static final String TYPE_AMOUNT_LIMIT = "urn:ledgerline:problem:amount-limit";

  private final LedgerClient ledger;
  private final Access access;
  private final UInt128 maxAmount;

  public TransferAuthorizer(LedgerClient ledger, Access access, UInt128 maxAmount) {
    this.ledger = ledger;
    this.access = access;
    this.maxAmount = maxAmount;
  }

  /**
   * Succeeds when every transfer is allowed, with the accounts whose balances the request may change (for a post or
   * void, its pending transfer's two accounts: the request may name none); else fails with {@link Refused} carrying
   * the answer.
   */
  public Future<Set<UInt128>> authorize(Principal p, List<Transfer> transfers, boolean batch) {
    for (int i = 0; i < transfers.size(); i++) {
      if (touchesPlatform(transfers.get(i))) {
        return Future.failedFuture(platformAccount(i, batch));
      }
    }
    Set<UInt128> pendingIds = new LinkedHashSet<>();
    for (Transfer t : transfers) {
      if (postOrVoid(t)) {
        pendingIds.add(t.pendingId());
      }
    }
    Future<Map<UInt128, Transfer>> pendings = lookupById(ledger, pendingIds);
    if (Access.privileged(p)) {
      // Operators may do anything else; only the pending transfers themselves are checked, below.
      return pendings.compose(found -> {
        for (int i = 0; i < transfers.size(); i++) {
          Transfer pending = postOrVoid(transfers.get(i)) ? found.get(transfers.get(i).pendingId()) : null;
          if (pending != null && touchesPlatform(pending)) {
            return Future.failedFuture(platformAccount(i, batch));
          }
        }
        return Future.succeededFuture(touched(transfers, found));
      });
    }
    for (int i = 0; i < transfers.size(); i++) {
      if (overLimit(transfers.get(i))) {
        return Future.failedFuture(amountLimit(i, batch));
      }
    }
    return pendings.compose(found -> {
      List<Transfer> resolved = new ArrayList<>(transfers.size());
      Set<UInt128> accounts = new LinkedHashSet<>();
      for (int i = 0; i < transfers.size(); i++) {
        Transfer t = transfers.get(i);
        if (postOrVoid(t)) {
          Transfer pending = found.get(t.pendingId());
          if (pending == null) {
            pending = earlierInChain(transfers, i, t.pendingId());
          }
          if (pending == null) {
            return Future.failedFuture(pendingNotFound(t, i, batch));
          }
          if (touchesPlatform(pending)) {
            return Future.failedFuture(platformAccount(i, batch));
          }
          resolved.add(pending);
          accounts.add(pending.debitAccountId());
          accounts.add(pending.creditAccountId());
        } else {
          resolved.add(null);
          accounts.add(t.debitAccountId());
          if (needsCreditOwner(t)) {
            accounts.add(t.creditAccountId());
          }
        }
      }
      return access.owned(p, accounts).compose(mine -> {
        for (int i = 0; i < transfers.size(); i++) {
          Refused refusal = check(transfers.get(i), resolved.get(i), mine, i, batch);
          if (refusal != null) {
            return Future.failedFuture(refusal);
          }
        }
        return Future.succeededFuture(touched(transfers, found));
      });
    });
  }

  /**
   * Every account whose balances {@code transfers} may change: each transfer's own accounts, and a post's or void's
   * pending transfer's (found in the ledger or earlier in the request's chain), which TigerBeetle takes when the
   * post or void names no account. A pending transfer found nowhere changes nothing (the ledger refuses it).
   */
  static Set<UInt128> touched(List<Transfer> transfers, Map<UInt128, Transfer> pendings) {
    Set<UInt128> out = new LinkedHashSet<>();
    for (int i = 0; i < transfers.size(); i++) {
      Transfer t = transfers.get(i);
      accountsOf(t, out);
      if (postOrVoid(t)) {
        Transfer pending = pendings.get(t.pendingId());
        if (pending == null) pending = earlierInChain(transfers, i, t.pendingId());
        if (pending != null) accountsOf(pending, out);
      }
    }
    return out;
  }

  private static void accountsOf(Transfer t, Set<UInt128> out) {
    if (!t.debitAccountId().isZero()) out.add(t.debitAccountId());
    if (!t.creditAccountId().isZero()) out.add(t.creditAccountId());
  }

  /** The refusal for one transfer, or null when it is allowed. */
  private static Refused check(Transfer t, Transfer pending, Set<UInt128> mine, int index, boolean batch) {
    if (pending == null) {
      if (!mine.contains(t.debitAccountId())) {
        return forbidden("the token may not debit an account it does not own", index, batch);
      }
      if (needsCreditOwner(t) && !mine.contains(t.creditAccountId())) {
        String flag = t.hasFlag(TransferFlags.CLOSING_CREDIT) ? "closing_credit" : "balancing_credit";
        return forbidden(flag + " needs the owner of the credit account", index, batch);
      }
      return null;
    }
    boolean debit = mine.contains(pending.debitAccountId());
    boolean credit = mine.contains(pending.creditAccountId());
    if (!debit && !credit) {
      return pendingNotFound(t, index, batch);
    }
    if (t.hasFlag(TransferFlags.POST_PENDING_TRANSFER) && !debit) {
      return forbidden("only the owner of the pending transfer's debit account may post it", index, batch);
    }
    if (t.hasFlag(TransferFlags.VOID_PENDING_TRANSFER) && !debit
        && pending.hasFlag(TransferFlags.CLOSING_DEBIT)) {
      return forbidden("this pending transfer closes its debit account; only that account's owner may void it",
          index, batch);
    }
    return null;
  }

  /**
   * A user's amounts are capped ({@code gateway.transfers.max-amount}) so that nobody can push another account's
   * u128 credit sums to overflow, which would block every later credit to it. A void moves nothing new, a post of
   * the amount 2^128-1 means "the pending amount", which was capped when the pending transfer was created, and a
   * balancing transfer's amount is only an upper bound (2^128-1 is usual): it moves at most the debit account's
   * credits (or, with balancing_credit, which needs the credit account's owner, the credit account's debits), money
   * that came through capped transfers.
   */
  private boolean overLimit(Transfer t) {
    if (t.hasFlag(TransferFlags.VOID_PENDING_TRANSFER)
        || t.hasFlag(TransferFlags.POST_PENDING_TRANSFER) && t.amount().isMax()
        || t.hasFlag(TransferFlags.BALANCING_DEBIT) || t.hasFlag(TransferFlags.BALANCING_CREDIT)) {
      return false;
    }
    return t.amount().compareTo(maxAmount) > 0;
  }

  private Refused amountLimit(int index, boolean batch) {
    String field = batch ? "transfers[" + index + "].amount" : "amount";
    String reason = "must not exceed " + maxAmount;
    Problem p = Problem.of(422, field + " " + reason).withType(TYPE_AMOUNT_LIMIT);
    JsonObject ext = new JsonObject().put("errors", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("field", field).put("reason", reason)));
    if (batch) {
      ext.put("index", index);
    }
    // Not kept, as a validation error: a corrected body may be sent again with the same key.
    return new Refused(Reply.problem(p, ext).notKept());
  }

  /** The found transfers of {@code ids}, by id, in one ledger lookup (none when {@code ids} is empty). */
  public static Future<Map<UInt128, Transfer>> lookupById(LedgerClient ledger, Set<UInt128> ids) {
    if (ids.isEmpty()) return Future.succeededFuture(Map.of());
    return ledger.lookupTransfers(new ArrayList<>(ids)).map(found -> {
      Map<UInt128, Transfer> byId = new HashMap<>();
      found.forEach(t -> byId.put(t.id(), t));
      return byId;
    });
  }

  /**
   * The transfer debits or credits one of the platform's own accounts: the payment saga's clearing and provider
   * accounts, the event store's (a post or void names neither).
   */
  static boolean touchesPlatform(Transfer t) {
    return ReservedIds.reserved(t.debitAccountId()) || ReservedIds.reserved(t.creditAccountId());
  }

  private static Refused platformAccount(int index, boolean batch) {
    return forbidden("transfers of the platform's own accounts (the payment saga's clearing and provider accounts, "
        + "the event store's) are made by the platform only; use /v1/payments", index, batch);
  }

  public static boolean postOrVoid(Transfer t) {
    return t.hasFlag(TransferFlags.POST_PENDING_TRANSFER) || t.hasFlag(TransferFlags.VOID_PENDING_TRANSFER);
  }

  private static boolean needsCreditOwner(Transfer t) {
    return t.hasFlag(TransferFlags.CLOSING_CREDIT) || t.hasFlag(TransferFlags.BALANCING_CREDIT);
  }

  /**
   * A pending transfer created earlier in the same linked chain: if it is not created, the chain fails and the post
   * or void with it. Outside the chain it could fail alone while the post or void went ahead on another transfer.
   */
  private static Transfer earlierInChain(List<Transfer> transfers, int index, UInt128 pendingId) {
    for (int j = index - 1; j >= 0 && transfers.get(j).hasFlag(TransferFlags.LINKED); j--) {
      Transfer t = transfers.get(j);
      if (t.id().equals(pendingId) && t.hasFlag(TransferFlags.PENDING)) {
        return t;
      }
    }
    return null;
  }

  // Refusals are not kept under the Idempotency-Key: they depend on the moment (an owner or a pending transfer
  // recorded a moment later, on another node), nothing was executed, and a retry must be judged again.
  private static Refused forbidden(String detail, int index, boolean batch) {
    Problem p = Problem.of(403, batch ? "transfers[" + index + "]: " + detail : detail);
    return new Refused(Reply.problem(p, batch ? new JsonObject().put("index", index) : null).notKept());
  }

  private static Refused pendingNotFound(Transfer t, int index, boolean batch) {
    String result = "pending_transfer_not_found";
    Reply r = LedgerReplies.resultProblem(404, result, t.id());
    if (batch) {
      JsonObject j = new JsonObject(r.body()).put("index", index)
          .put("detail", "transfers[" + index + "]: the ledger refused the request: " + result);
      r = new Reply(404, r.contentType(), j.toBuffer(), r.keep(), 0);
    }
    return new Refused(r.notKept());
  }
}
