package dev.ledgerline.gateway.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * Who owns each account, in PostgreSQL. An owner never changes once recorded, so answers are cached for good
 * (bounded by size): object-level authorization costs a database round trip only on a node's first look.
 */
public final class AccountOwners {
  private final SqlClient sql;
  private final Cache<String, String> cache;

  public AccountOwners(SqlClient sql, long cacheSize) {
    this.sql = sql;
    this.cache = Caffeine.newBuilder().maximumSize(cacheSize).build();
  }

  /**
   * Records the owner of a new account. Recording again for the same owner is a no-op; for another owner it fails
   * (the account id is already someone else's).
   */
  public Future<Boolean> record(String accountId, String owner) {
    return sql.preparedQuery("INSERT INTO account_owners (account_id, owner) VALUES ($1, $2) "
            + "ON CONFLICT (account_id) DO NOTHING")
        .execute(Tuple.of(Numeric.create(new BigDecimal(accountId)), owner))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture(true)
            : ownerOf(accountId).map(o -> o.map(owner::equals).orElse(false)))
        .onSuccess(mine -> {
          if (mine) {
            cache.put(accountId, owner);
          }
        });
  }

  /** The owner, if the gateway recorded one. */
  public Future<Optional<String>> ownerOf(String accountId) {
    String cached = cache.getIfPresent(accountId);
    if (cached != null) {
      return Future.succeededFuture(Optional.of(cached));
    }
    return sql.preparedQuery("SELECT owner FROM account_owners WHERE account_id = $1")
        .execute(Tuple.of(Numeric.create(new BigDecimal(accountId))))
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.<String>empty();
          }
          String owner = rows.iterator().next().getString("owner");
          cache.put(accountId, owner);
          return Optional.of(owner);
        });
  }
}
