package dev.ledgerline.gateway.access;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Crediting another user's account needs no ownership (payments), so the results that depend on the credit account's
 * balances or history must not reach a caller who does not own it: repeated probes (pending transfers, voided
 * afterwards) would read its balance by binary search. Such results are answered as {@code credit_account_refused},
 * which does not say which rule refused. The credit account's owner, operators and admins get the ledger's result.
 *
 * <p>Hidden: {@code exceeds_debits} (the credit account's {@code credits_must_not_exceed_debits}), the
 * {@code overflows_credits*} results (its credit sums), and
 * {@code imported_event_timestamp_must_postdate_credit_account} (its creation time). Not hidden:
 * {@code credit_account_not_found}, {@code credit_account_already_closed} and
 * {@code accounts_must_have_the_same_ledger}: a payer must learn that a payment cannot reach the account at all.
 */
public final class CreditAccountPrivacy {
  static final String REFUSED = "credit_account_refused";
  private static final Set<CreateTransferResult> HIDDEN = EnumSet.of(CreateTransferResult.EXCEEDS_DEBITS,
      CreateTransferResult.OVERFLOWS_CREDITS, CreateTransferResult.OVERFLOWS_CREDITS_PENDING,
      CreateTransferResult.OVERFLOWS_CREDITS_POSTED,
      CreateTransferResult.IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_CREDIT_ACCOUNT);

  private final LedgerClient ledger;
  private final Access access;

  public CreditAccountPrivacy(LedgerClient ledger, Access access) {
    this.ledger = ledger;
    this.access = access;
  }

  public static boolean hidden(CreateTransferResult r) {
    return HIDDEN.contains(r);
  }

  /**
   * The result names to show the caller, in order. Owners are looked up only when a hidden result occurs; a post or
   * void names no credit account, so its pending transfer's is used.
   */
  public Future<List<String>> names(Principal p, List<Transfer> transfers, List<CreateTransferResult> results) {
    List<String> names = new ArrayList<>(results.size());
    results.forEach(r -> names.add(r.toString()));
    if (Access.privileged(p) || results.stream().noneMatch(CreditAccountPrivacy::hidden)) {
      return Future.succeededFuture(names);
    }
    Set<UInt128> pendingIds = new LinkedHashSet<>();
    for (int i = 0; i < results.size(); i++) {
      Transfer t = transfers.get(i);
      if (hidden(results.get(i)) && t.creditAccountId().isZero() && TransferAuthorizer.postOrVoid(t)) {
        pendingIds.add(t.pendingId());
      }
    }
    Future<Map<UInt128, Transfer>> pendings = TransferAuthorizer.lookupById(ledger, pendingIds);
    return pendings.compose(found -> {
      List<UInt128> credits = new ArrayList<>(results.size());
      for (int i = 0; i < results.size(); i++) {
        credits.add(hidden(results.get(i)) ? creditAccount(transfers.get(i), found) : null);
      }
      List<UInt128> asked = credits.stream().filter(c -> c != null && !c.isZero()).distinct().toList();
      return access.owned(p, asked).map(mine -> {
        for (int i = 0; i < results.size(); i++) {
          if (credits.get(i) != null && !mine.contains(credits.get(i))) {
            names.set(i, REFUSED);
          }
        }
        return names;
      });
    });
  }

  private static UInt128 creditAccount(Transfer t, Map<UInt128, Transfer> pendings) {
    if (!t.creditAccountId().isZero() || !TransferAuthorizer.postOrVoid(t)) {
      return t.creditAccountId();
    }
    Transfer pending = pendings.get(t.pendingId());
    // Not found: nobody can be shown to own it, so the result stays hidden.
    return pending == null ? UInt128.ZERO : pending.creditAccountId();
  }
}
