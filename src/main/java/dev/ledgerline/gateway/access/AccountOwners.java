package dev.ledgerline.gateway.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledgerline.infra.postgres.ArrayColumns;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who owns each account, in PostgreSQL. An owner is recorded only once the ledger has created the account for that
 * subject, and then never changes, so known owners are cached for good (bounded by size). "No owner" is cached only
 * for {@code negativeTtl}: the account may be created a moment later through another node. All ids of one request
 * cost at most one query ({@code = ANY($1)}).
 */
public final class AccountOwners {
  private static final Logger LOG = LoggerFactory.getLogger(AccountOwners.class);
  /** Unknown ids remembered at most; an unknown id costs a query once per TTL whatever the bound. */
  private static final long MAX_NEGATIVE = 100_000;

  private final SqlClient sql;
  private final Cache<String, String> owners;
  private final Cache<String, Boolean> absent;
  private final Consumer<String> reassigned;

  /**
   * @param negativeTtl how long "no owner" is believed; zero: never cached
   * @param reassigned told the id of an account whose stale owner row was replaced, so that every node forgets it
   */
  public AccountOwners(SqlClient sql, long cacheSize, Duration negativeTtl, Consumer<String> reassigned) {
    this.sql = sql;
    this.owners = Caffeine.newBuilder().maximumSize(cacheSize).build();
    this.absent = negativeTtl.isZero() ? null
        : Caffeine.newBuilder().maximumSize(Math.min(cacheSize, MAX_NEGATIVE)).expireAfterWrite(negativeTtl).build();
    this.reassigned = reassigned;
  }

  /**
   * Records the owner of an account the ledger has just created for it ({@code ok}). The ledger answers {@code ok}
   * to exactly one create of an id, so its caller is the owner: a row of another subject can only be stale (left by a
   * ledger whose data was reset, or by an older version that recorded owners before the ledger answered) and is
   * replaced, and every node is told to forget it.
   */
  public Future<Void> recordCreated(String accountId, String owner) {
    Numeric id = Numeric.create(new BigDecimal(accountId));
    return sql.preparedQuery("INSERT INTO account_owners (account_id, owner) VALUES ($1, $2) "
            + "ON CONFLICT (account_id) DO NOTHING")
        .execute(Tuple.of(id, owner))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture(false)
            : sql.preparedQuery("UPDATE account_owners SET owner = $2, created_at = now() "
                    + "WHERE account_id = $1 AND owner <> $2")
                .execute(Tuple.of(id, owner)).map(r -> r.rowCount() == 1))
        .map(replaced -> {
          owners.put(accountId, owner);
          if (absent != null) {
            absent.invalidate(accountId);
          }
          if (replaced) {
            LOG.warn("account {} was created by {} in the ledger; a stale owner row of another subject was replaced",
                accountId, owner);
            reassigned.accept(accountId);
          }
          return null;
        });
  }

  /** Drops what this node remembers of an account (its owner row was replaced elsewhere). */
  public void forget(String accountId) {
    owners.invalidate(accountId);
    if (absent != null) {
      absent.invalidate(accountId);
    }
  }

  /** The owner, if the gateway recorded one. */
  public Future<Optional<String>> ownerOf(String accountId) {
    return ownersOf(List.of(accountId)).map(m -> Optional.ofNullable(m.get(accountId)));
  }

  /**
   * The owner, asking the database unless the owner is known: for answers that are stored (an account create's),
   * where a "no owner" remembered from a moment ago must not decide.
   */
  public Future<Optional<String>> ownerOfUncached(String accountId) {
    return ownersOf(List.of(accountId), false).map(m -> Optional.ofNullable(m.get(accountId)));
  }

  /** The recorded owners of the given accounts (ids without one are absent from the map), in one query at most. */
  public Future<Map<String, String>> ownersOf(Collection<String> accountIds) {
    return ownersOf(accountIds, true);
  }

  private Future<Map<String, String>> ownersOf(Collection<String> accountIds, boolean trustAbsent) {
    Map<String, String> found = new HashMap<>();
    List<String> missing = new ArrayList<>();
    for (String id : new LinkedHashSet<>(accountIds)) {
      String cached = owners.getIfPresent(id);
      if (cached != null) {
        found.put(id, cached);
      } else if (!trustAbsent || absent == null || absent.getIfPresent(id) == null) {
        missing.add(id);
      }
    }
    if (missing.isEmpty()) {
      return Future.succeededFuture(found);
    }
    Numeric[] ids = ArrayColumns.of(missing, id -> Numeric.create(new BigDecimal(id)), Numeric[]::new);
    return sql.preparedQuery("SELECT account_id::text AS id, owner FROM account_owners WHERE account_id = ANY($1)")
        .execute(Tuple.of(ids))
        .map(rows -> {
          for (Row row : rows) {
            String id = row.getString("id");
            String owner = row.getString("owner");
            owners.put(id, owner);
            found.put(id, owner);
          }
          if (absent != null) {
            for (String id : missing) {
              if (!found.containsKey(id)) {
                absent.put(id, Boolean.TRUE);
              }
            }
          }
          return found;
        });
  }
}
