package dev.ledgerline.gateway.access;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.users.Role;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Object-level authorization. Operators and admins may act on every account; a user only on accounts whose recorded
 * owner it is. Reads of someone else's object answer 404 (existence is not revealed), writes 403. An account without
 * a recorded owner (made outside the gateway, or whose create the ledger refused) is nobody's.
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

  /** The accounts among the given ones that the principal owns (all of them for operators), in one lookup. */
  public Future<Set<UInt128>> owned(Principal p, Collection<UInt128> accounts) {
    if (privileged(p)) {
      return Future.succeededFuture(new HashSet<>(accounts));
    }
    List<String> ids = new LinkedHashSet<>(accounts).stream().map(UInt128::toString).toList();
    return owners.ownersOf(ids).map(found -> {
      Set<UInt128> mine = new HashSet<>();
      for (UInt128 a : accounts) {
        if (p.subject().equals(found.get(a.toString()))) {
          mine.add(a);
        }
      }
      return mine;
    });
  }

  /** True when the principal may see the account. */
  public Future<Boolean> canRead(Principal p, UInt128 account) {
    return owned(p, List.of(account)).map(mine -> mine.contains(account));
  }

  /** True when the principal owns (or may act on) at least one of the accounts. */
  public Future<Boolean> canReadAny(Principal p, UInt128 a, UInt128 b) {
    return owned(p, List.of(a, b)).map(mine -> !mine.isEmpty());
  }

  /** Fails with 404 unless the principal may read the account. */
  public Future<Void> requireRead(Principal p, UInt128 account) {
    return canRead(p, account).compose(ok -> ok ? Future.<Void>succeededFuture()
        : Future.failedFuture(new ProblemException(ProblemHandler.standard(404))));
  }
}
