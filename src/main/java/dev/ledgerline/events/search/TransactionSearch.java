package dev.ledgerline.events.search;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Queries {@code transaction_search}: full text ({@code websearch_to_tsquery('simple', q)} over description, provider
 * reference and metadata) or, for typos, trigram word similarity with the description ({@code q <% description}),
 * ranked by {@code ts_rank + word_similarity}; filters on status, kind, account, amount (exact {@code numeric(39,0)})
 * and creation time; limited to the accounts of one owner unless the caller sees everything.
 *
 * <p>Pages are keyset pages in (score, created_at, id) order, newest first among equal scores: a page continues
 * strictly after the last row of the one before, so rows inserted meanwhile never shift or repeat what was read.
 * The score is rounded to a fixed number of decimals (a {@code numeric}), so the boundary compares exactly.
 */
public final class TransactionSearch {
  /** The decimals a score keeps: enough to order, exact to compare. */
  static final int SCORE_SCALE = 6;

  private final Pool pool;

  public TransactionSearch(Pool pool) {
    this.pool = pool;
  }

  /**
   * What to search. Null fields do not filter.
   *
   * @param owner only transactions touching accounts this subject owns; null for everything (operators)
   * @param after the last row of the previous page, or null for the first page
   */
  public record Query(String owner, String q, String status, String kind, BigInteger accountId, BigInteger minAmount,
      BigInteger maxAmount, Instant from, Instant to, int limit, Position after) {}

  /** A row's place in the order: its score, its creation time in microseconds and its id. */
  public record Position(BigDecimal score, long createdMicros, String id) {}

  /** One page: the rows as JSON and where the next one starts (null on the last page). */
  public record Page(List<JsonObject> rows, Position next) {}

  public Future<Page> search(Query query) {
    List<Object> args = new ArrayList<>();
    StringBuilder where = new StringBuilder(" WHERE true");
    String score;
    if (query.q() != null) {
      args.add(query.q());
      score = "round((ts_rank(t.search, websearch_to_tsquery('simple', $1)) + word_similarity($1, t.description))"
          + "::numeric, " + SCORE_SCALE + ")";
      where.append(" AND (t.search @@ websearch_to_tsquery('simple', $1) OR $1 <% t.description)");
    } else {
      score = "0::numeric";
    }
    if (query.owner() != null) {
      where.append(" AND t.account_ids && ARRAY(SELECT account_id FROM account_owners WHERE owner = ")
          .append(arg(args, query.owner())).append(")");
    }
    if (query.status() != null) where.append(" AND t.status = ").append(arg(args, query.status()));
    if (query.kind() != null) where.append(" AND t.kind = ").append(arg(args, query.kind()));
    if (query.accountId() != null) {
      where.append(" AND t.account_ids @> ARRAY[").append(arg(args, numeric(query.accountId())))
          .append("::numeric(39, 0)]");
    }
    if (query.minAmount() != null) where.append(" AND t.amount >= ").append(arg(args, numeric(query.minAmount())));
    if (query.maxAmount() != null) where.append(" AND t.amount <= ").append(arg(args, numeric(query.maxAmount())));
    if (query.from() != null) where.append(" AND t.created_at >= ").append(arg(args, time(query.from())));
    if (query.to() != null) where.append(" AND t.created_at < ").append(arg(args, time(query.to())));
    String columns = "t.id, t.kind, t.status, t.account_ids::text[] AS accounts, t.amount::text AS amount, "
        + "t.ledger, t.code, t.description, t.metadata, t.provider_reference, t.created_at, t.updated_at, ";
    Position p = query.after();
    String sql;
    if (query.q() == null) {
      // Newest first over (created_at, id), which transaction_search_created serves in order.
      if (p != null) {
        where.append(" AND (t.created_at, t.id) < (").append(arg(args, micros(p.createdMicros()))).append(", ")
            .append(arg(args, p.id())).append(")");
      }
      sql = "SELECT " + columns + "0::numeric AS score FROM transaction_search t" + where
          + " ORDER BY t.created_at DESC, t.id DESC LIMIT " + arg(args, query.limit() + 1);
    } else {
      sql = "SELECT * FROM (SELECT " + columns + score + " AS score FROM transaction_search t" + where + ") s";
      if (p != null) {
        sql += " WHERE (s.score, s.created_at, s.id) < (" + arg(args, p.score()) + "::numeric, "
            + arg(args, micros(p.createdMicros())) + ", " + arg(args, p.id()) + ")";
      }
      sql += " ORDER BY s.score DESC, s.created_at DESC, s.id DESC LIMIT " + arg(args, query.limit() + 1);
    }
    return pool.preparedQuery(sql).execute(Tuple.from(args)).map(rows -> {
      List<JsonObject> out = new ArrayList<>();
      Position last = null;
      boolean more = false;
      for (Row r : rows) {
        if (out.size() == query.limit()) {
          more = true;
          break;
        }
        out.add(json(r));
        OffsetDateTime created = r.getOffsetDateTime("created_at");
        last = new Position(r.getBigDecimal("score"), ChronoUnit.MICROS.between(Instant.EPOCH, created.toInstant()),
            r.getString("id"));
      }
      return new Page(out, more ? last : null);
    });
  }

  private static String arg(List<Object> args, Object value) {
    args.add(value);
    return "$" + args.size();
  }

  private static Numeric numeric(BigInteger value) {
    return Numeric.create(new BigDecimal(value));
  }

  private static OffsetDateTime micros(long micros) {
    return time(Instant.EPOCH.plus(micros, ChronoUnit.MICROS));
  }

  private static OffsetDateTime time(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  private static JsonObject json(Row r) {
    JsonObject o = new JsonObject().put("id", r.getString("id")).put("kind", r.getString("kind"))
        .put("status", r.getString("status"))
        .put("account_ids", new JsonArray(List.of((Object[]) r.getArrayOfStrings("accounts"))))
        .put("amount", r.getString("amount")).put("ledger", r.getLong("ledger")).put("code", r.getInteger("code"))
        .put("description", r.getString("description"));
    Object metadata = r.getValue("metadata");
    o.put("metadata", metadata instanceof JsonObject m ? m : new JsonObject());
    o.put("provider_reference", r.getString("provider_reference"));
    o.put("created_at", r.getOffsetDateTime("created_at").toInstant().toString());
    o.put("updated_at", r.getOffsetDateTime("updated_at").toInstant().toString());
    o.put("score", r.getBigDecimal("score").doubleValue());
    return o;
  }
}
