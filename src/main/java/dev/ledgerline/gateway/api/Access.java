package dev.ledgerline.gateway.api;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.Role;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.store.AccountOwners;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Object-level authorization. Operators and admins may act on every account; a user only on accounts whose recorded
 * owner it is. Reads of someone else's object answer 404 (existence is not revealed), writes 403.
 */
public final class Access {
  private final AccountOwners owners;

  public Access(AccountOwners owners) {
    this.owners = owners;
  }

  public static boolean privileged(Principal p) {
    return p.has(Role.OPERATOR) || p.has(Role.ADMIN);
  }

  public AccountOwners owners() {
    return owners;
  }

  /** True when the principal may see the account. */
  public Future<Boolean> canRead(Principal p, UInt128 account) {
    if (privileged(p)) {
      return Future.succeededFuture(true);
    }
    return owners.ownerOf(account.toString()).map(o -> o.map(p.subject()::equals).orElse(false));
  }

  /** True when the principal owns (or may act on) at least one of the accounts. */
  public Future<Boolean> canReadAny(Principal p, UInt128 a, UInt128 b) {
    if (privileged(p)) {
      return Future.succeededFuture(true);
    }
    return canRead(p, a).compose(mine -> mine ? Future.succeededFuture(true) : canRead(p, b));
  }

  /** Fails with 404 unless the principal may read the account. */
  public Future<Void> requireRead(Principal p, UInt128 account) {
    return canRead(p, account).compose(ok -> ok ? Future.<Void>succeededFuture()
        : Future.failedFuture(new ProblemException(ProblemHandler.standard(404))));
  }

  /**
   * Fails with 403 unless the principal may debit every one of the accounts. An account without a recorded owner is
   * not the user's either: the ledger would answer not found, or it was made outside the gateway.
   */
  public Future<Void> requireDebit(Principal p, Collection<UInt128> accounts) {
    if (privileged(p) || accounts.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Future<Boolean>> checks = new ArrayList<>();
    for (UInt128 a : new LinkedHashSet<>(accounts)) {
      checks.add(canRead(p, a));
    }
    return Future.all(checks).compose(all -> {
      for (Future<Boolean> f : checks) {
        if (!f.result()) {
          return Future.failedFuture(new ProblemException(
              Problem.of(403, "the token may not debit account(s) it does not own")));
        }
      }
      return Future.succeededFuture();
    });
  }
}
