package dev.ledgerline.gateway.access;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A transfer sent with an explicit id that is already taken gets {@code exists} or {@code exists_with_different_*},
 * which would tell that the transfer exists and, field by field, what it holds. Those results reach only callers who
 * own one of the existing transfer's accounts (and operators, admins); anyone else learns only that the id is taken:
 * 409 {@code exists} on {@code POST /v1/transfers} (as for accounts), {@code id_taken} in a batch, where
 * {@code exists} would read as "your transfer is already recorded". The existing transfer is looked up only when
 * such a result occurs.
 */
public final class ExistingTransfers {
  public static final String TAKEN = "id_taken";

  private final LedgerClient ledger;
  private final Access access;

  public ExistingTransfers(LedgerClient ledger, Access access) {
    this.ledger = ledger;
    this.access = access;
  }

  public static boolean exists(CreateTransferResult r) {
    return r == CreateTransferResult.EXISTS || r.name().startsWith("EXISTS_WITH_DIFFERENT_");
  }

  /** The positions whose existing transfer the caller may not see (none for operators and admins). */
  public Future<Set<Integer>> hidden(Principal p, List<UInt128> ids, List<CreateTransferResult> results) {
    if (Access.privileged(p) || results.stream().noneMatch(ExistingTransfers::exists)) {
      return Future.succeededFuture(Set.of());
    }
    Set<UInt128> asked = new LinkedHashSet<>();
    for (int i = 0; i < results.size(); i++) {
      if (exists(results.get(i))) {
        asked.add(ids.get(i));
      }
    }
    return TransferAuthorizer.lookupById(ledger, asked).compose(byId -> {
      Set<UInt128> accounts = new LinkedHashSet<>();
      for (UInt128 id : asked) {
        Transfer t = byId.get(id);
        if (t != null) {
          accounts.add(t.debitAccountId());
          accounts.add(t.creditAccountId());
        }
      }
      return access.owned(p, accounts).map(mine -> {
        Set<Integer> hidden = new java.util.HashSet<>();
        for (int i = 0; i < results.size(); i++) {
          if (exists(results.get(i))) {
            Transfer t = byId.get(ids.get(i));
            // Not found (should not happen after exists): nothing shows that the caller may see it.
            if (t == null || !mine.contains(t.debitAccountId()) && !mine.contains(t.creditAccountId())) {
              hidden.add(i);
            }
          }
        }
        return hidden;
      });
    });
  }
}
