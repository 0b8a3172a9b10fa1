package dev.ledgerline.events.search;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Queries {@code transaction_search}: full text ({@code websearch_to_tsquery('simple', q)} over description, provider
 * reference and metadata) or, for typos in a query without digits, trigram word similarity with the description
 * ({@code q <% description}),
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
  private static final java.util.regex.Pattern DIGIT = java.util.regex.Pattern.compile("[0-9]");

  /** PostgreSQL's {@code query_canceled}: here, the statement timeout. */
  private static final String CANCELED = "57014";

  private final Pool pool;
  private final Duration timeout;

  private TransactionSearch(Pool pool, Duration timeout) {
    this.pool = pool;
    this.timeout = timeout;
  }

  /**
   * A search over a pool of its own, whose connections carry {@code statement_timeout} from their start: a user
   * decides how much there is to rank (their own accounts and rows), so every search is bounded, at no round trip.
   *
   * @param timeout the longest one search may run (lock waits included): {@code search.statement-timeout}
   */
  public static TransactionSearch create(Vertx vertx, PgConnectOptions connect, int poolSize, Duration timeout) {
    long millis = Math.min(Integer.MAX_VALUE, timeout.toMillis()); // PostgreSQL's largest
    PgConnectOptions bounded = new PgConnectOptions(connect).setPipeliningLimit(1)
        .addProperty("statement_timeout", Long.toString(millis));
    // A bounded wait too: searches beyond what the connections serve in a timeout's time are turned away at once.
    PoolOptions pool = new PoolOptions().setMaxSize(poolSize).setMaxWaitQueueSize(WAITING_PER_CONNECTION * poolSize)
        .setConnectionTimeout((int) millis).setConnectionTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
    return new TransactionSearch(PgBuilder.pool().with(pool).connectingTo(bounded).using(vertx).build(), timeout);
  }

  public Future<Void> close() {
    return pool.close();
  }

  /** Searches that may wait for a connection, per connection. */
  static final int WAITING_PER_CONNECTION = 4;

  /**
   * No connection for this search: PostgreSQL unreachable, or every connection busy past the timeout, or too many
   * searches waiting already. Nothing ran; retry later.
   */
  public static final class BusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BusyException() {
      super("every search connection of this node is busy", null, false, false);
    }
  }

  /** A {@code q} PostgreSQL cannot make a text query of (too many operators: "tsquery stack too small"). */
  public static final class TooComplexException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooComplexException() {
      super("has too many operators for a text search", null, false, false);
    }
  }

  /** A search that ran past {@code search.statement-timeout}: cancelled, to be narrowed. */
  public static final class TooBroadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooBroadException(Duration timeout) {
      super("the search ran longer than " + timeout.toMillis() + " ms (search.statement-timeout)", null, false, false);
    }
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

  /** The statement and its arguments for a query. */
  private record Statement(String sql, List<Object> args) {}

  public Future<Page> search(Query query) {
    Statement st = statement(query);
    return pool.preparedQuery(st.sql()).execute(Tuple.from(st.args()))
        .recover(e -> Future.failedFuture(!(e instanceof PgException pg) ? new BusyException()
            : CANCELED.equals(pg.getSqlState()) ? new TooBroadException(timeout)
            : String.valueOf(pg.getErrorMessage()).contains("tsquery") ? new TooComplexException() : e))
        .map(rows -> page(rows, query.limit()));
  }

  private static Page page(Iterable<Row> rows, int limit) {
    List<JsonObject> out = new ArrayList<>();
    Position last = null;
    boolean more = false;
    for (Row r : rows) {
      if (out.size() == limit) {
        more = true;
        break;
      }
      out.add(json(r));
      OffsetDateTime created = r.getOffsetDateTime("created_at");
      last = new Position(r.getBigDecimal("score"), ChronoUnit.MICROS.between(Instant.EPOCH, created.toInstant()),
          r.getString("id"));
    }
    return new Page(out, more ? last : null);
  }

  private Statement statement(Query query) {
    List<Object> args = new ArrayList<>();
    String q = null;
    if (query.q() != null) q = arg(args, query.q());
    // The accounts whose rows are read through transaction_search_by_account: the owner's (with account_id, the one if
    // it is the owner's), or the one account an operator asked for; null = every row.
    String accounts = null;
    if (query.owner() != null) {
      accounts = "ARRAY(SELECT account_id FROM account_owners WHERE owner = " + arg(args, query.owner())
          + (query.accountId() == null ? "" : " AND account_id = " + arg(args, numeric(query.accountId()))) + ")";
    } else if (query.accountId() != null) {
      accounts = "ARRAY[" + arg(args, numeric(query.accountId())) + "::numeric(39, 0)]";
    }
    StringBuilder filters = new StringBuilder();
    if (query.status() != null) filters.append(" AND t.status = ").append(arg(args, query.status()));
    if (query.kind() != null) filters.append(" AND t.kind = ").append(arg(args, query.kind()));
    if (query.minAmount() != null) filters.append(" AND t.amount >= ").append(arg(args, numeric(query.minAmount())));
    if (query.maxAmount() != null) filters.append(" AND t.amount <= ").append(arg(args, numeric(query.maxAmount())));
    // Time bounds on the alias whose index is walked: the account table's in a scoped listing.
    String time = accounts != null && q == null ? "a.created_at" : "t.created_at";
    if (query.from() != null) filters.append(" AND " + time + " >= ").append(arg(args, time(query.from())));
    if (query.to() != null) filters.append(" AND " + time + " < ").append(arg(args, time(query.to())));
    String columns = "t.id, t.kind, t.status, t.account_ids::text[] AS accounts, t.amount::text AS amount, "
        + "t.ledger, t.code, t.description, t.metadata, t.provider_reference, t.created_at, t.updated_at";
    Position p = query.after();
    String sql;
    if (q == null && accounts == null) {
      // Newest first over (created_at, id), which transaction_search_created serves in order.
      if (p != null) {
        filters.append(" AND (t.created_at, t.id) < (").append(arg(args, micros(p.createdMicros()))).append(", ")
            .append(arg(args, p.id())).append(")");
      }
      sql = "SELECT " + columns + ", 0::numeric AS score FROM transaction_search t WHERE true" + filters
          + " ORDER BY t.created_at DESC, t.id DESC LIMIT " + arg(args, query.limit() + 1);
    } else if (q == null) {
      // Each account's newest rows after the cursor (its own index order), merged; a row touching two of the
      // accounts comes once.
      if (p != null) {
        filters.append(" AND (a.created_at, a.id) < (").append(arg(args, micros(p.createdMicros()))).append(", ")
            .append(arg(args, p.id())).append(")");
      }
      String limit = arg(args, query.limit() + 1);
      sql = "SELECT DISTINCT ON (t.created_at, t.id) t.*, 0::numeric AS score FROM unnest(" + accounts
          + ") acc(account_id) CROSS JOIN LATERAL (SELECT " + columns + " FROM transaction_search_by_account a "
          + "JOIN transaction_search t ON t.id = a.id WHERE a.account_id = acc.account_id" + filters
          + " ORDER BY a.created_at DESC, a.id DESC LIMIT " + limit + ") t ORDER BY t.created_at DESC, t.id DESC "
          + "LIMIT " + limit;
    } else {
      String score = "round((ts_rank(t.search, websearch_to_tsquery('simple', " + q + ")) + word_similarity(" + q
          + ", t.description))::numeric, " + SCORE_SCALE + ")";
      // Typos are forgiven in words, not in numbers: a query with a digit (an invoice number, a reference, an
      // amount) matches exactly, which also spares the trigram index the posting lists of common digit trigrams.
      boolean fuzzy = !DIGIT.matcher(query.q()).find();
      String match = " AND (t.search @@ websearch_to_tsquery('simple', " + q + ")"
          + (fuzzy ? " OR " + q + " <% t.description)" : ")");
      // A caller's own rows first (materialized: few, whatever the index holds), then the words over them; without
      // a scope, the text and trigram indexes find the rows.
      sql = accounts == null
          ? "SELECT * FROM (SELECT " + columns + ", " + score + " AS score FROM transaction_search t WHERE true"
              + match + filters + ") s"
          : "WITH mine AS MATERIALIZED (SELECT DISTINCT a.id FROM transaction_search_by_account a WHERE a.account_id "
              + "= ANY (" + accounts + ")) SELECT * FROM (SELECT " + columns + ", " + score + " AS score FROM mine "
              + "JOIN transaction_search t ON t.id = mine.id WHERE true" + match + filters + ") s";
      if (p != null) {
        sql += " WHERE (s.score, s.created_at, s.id) < (" + arg(args, p.score()) + "::numeric, "
            + arg(args, micros(p.createdMicros())) + ", " + arg(args, p.id()) + ")";
      }
      sql += " ORDER BY s.score DESC, s.created_at DESC, s.id DESC LIMIT " + arg(args, query.limit() + 1);
    }
    return new Statement(sql, args);
  }

  /** The plan PostgreSQL runs a query with, and what it cost ({@code ledgerline bench search --explain}). */
  public Future<String> explain(Query query) {
    Statement st = statement(query);
    return pool.preparedQuery("EXPLAIN (ANALYZE, BUFFERS) " + st.sql()).execute(Tuple.from(st.args()))
        .map(rows -> {
          StringBuilder b = new StringBuilder();
          for (Row r : rows) b.append(r.getString(0)).append('\n');
          return b.toString();
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
