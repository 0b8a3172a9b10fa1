package dev.ledgerline.cli.bench;

import dev.ledgerline.events.search.TransactionSearch;
import dev.ledgerline.events.search.TransactionSearch.Query;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.node.Logging;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.math.BigInteger;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ledgerline bench search}: queries per second and latency of {@link TransactionSearch} over a
 * {@code transaction_search} of {@code --rows} transactions in an embedded PostgreSQL, bulk-loaded with
 * {@code generate_series} (indexes dropped during the load and built afterwards, as a restore would). Each phase is
 * one query shape, run by {@code --concurrency} clients back to back for {@code --duration} seconds: users searching
 * their own transactions with and without words (a quarter of the words misspelt), filtered listings, and an
 * operator's search over everything for an invoice number.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = "Queries/s and p99 of the transaction search over a bulk-loaded index (embedded PostgreSQL).")
public final class SearchBenchCommand implements Callable<Integer> {
  /** Merchants and categories the descriptions are made of: each word is in about 1/40 or 1/25 of the rows. */
  static final List<String> MERCHANTS = List.of("acme", "bluebottle", "starbucks", "walmart", "target", "costco",
      "amazon", "uber", "lyft", "airbnb", "netflix", "spotify", "apple", "google", "microsoft", "shell", "chevron",
      "safeway", "kroger", "wholefoods", "ikea", "homedepot", "lowes", "bestbuy", "walgreens", "cvs", "delta",
      "united", "marriott", "hilton", "doordash", "grubhub", "instacart", "etsy", "ebay", "paypal", "venmo",
      "zillow", "verizon", "comcast");
  static final List<String> CATEGORIES = List.of("coffee", "groceries", "fuel", "rent", "travel", "hotel", "flight",
      "subscription", "electronics", "furniture", "pharmacy", "dining", "rideshare", "utilities", "insurance",
      "payroll", "refund", "invoice", "transfer", "savings", "books", "clothing", "gifts", "fitness", "parking");

  @Option(names = "--rows", description = "Indexed transactions (default: ${DEFAULT-VALUE}).")
  int rows = 1_000_000;

  @Option(names = "--owners", description = "Users owning the accounts (default: ${DEFAULT-VALUE}).")
  int owners = 50_000;

  @Option(names = "--accounts-per-owner", description = "Accounts per user (default: ${DEFAULT-VALUE}).")
  int accountsPerOwner = 4;

  @Option(names = "--concurrency", description = "Clients querying at once (default: ${DEFAULT-VALUE}).")
  int concurrency = 8;

  @picocli.CommandLine.Mixin
  BenchWindow window = new BenchWindow(10, 2);

  @Option(names = "--limit", description = "Rows per page (default: ${DEFAULT-VALUE}).")
  int limit = 20;

  @Option(names = "--explain", description = "Print each phase's query plan (EXPLAIN ANALYZE) before measuring it.")
  boolean explain;

  record Phase(String name, Supplier<Query> query) {}

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("WARN");
    try (BenchPostgres bench = BenchPostgres.start("ledgerline-bench-search-", concurrency + 2)) {
      DataServices pg = bench.pg();
      long started = System.nanoTime();
      load(pg.pool());
      System.out.printf(Locale.ROOT, "loaded %,d transactions over %,d accounts of %,d users in %.1f s "
          + "(indexes built after the load)%n", rows, (long) owners * accountsPerOwner, owners,
          (System.nanoTime() - started) / 1e9);
      // As a gateway searches: its own connections, under the default statement timeout.
      TransactionSearch search = TransactionSearch.create(bench.vertx(),
          pg.postgresUrl().orElseThrow().connectOptions(), concurrency, java.time.Duration.ofSeconds(2));
      for (Phase phase : phases()) {
        if (explain) {
          // EXPLAIN ANALYZE runs the query, under the search's statement timeout too.
          String plan = search.explain(phase.query().get()).otherwise(e -> "(no plan: " + e.getMessage() + ")").await();
          System.out.println(phase.name() + ":\n" + plan);
        }
        run(search, phase, window.warmupSeconds, null);
        ConcurrentHistogram h = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(60), 3);
        long[] counts = run(search, phase, window.durationSeconds, h);
        double qps = counts[0] / (double) window.durationSeconds;
        System.out.printf(Locale.ROOT, "%-34s %,9.0f queries/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  "
            + "(%,d queries, %.1f rows/query, %d errors)%n", phase.name(), qps,
            h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6, counts[0],
            counts[0] == 0 ? 0.0 : counts[1] / (double) counts[0], counts[2]);
        System.out.println(new JsonObject().put("phase", phase.name()).put("queries_per_s", Math.round(qps))
            .put("p50_ms", h.getValueAtPercentile(50) / 1e6).put("p99_ms", h.getValueAtPercentile(99) / 1e6)
            .put("rows", rows).put("concurrency", concurrency).encode());
      }
      return 0;
    }
  }

  private List<Phase> phases() {
    Instant now = Instant.now();
    return List.of(
        new Phase("user, q (1 in 4 misspelt)", () -> user(word(), null, null, null)),
        new Phase("user, newest first", () -> user(null, null, null, null)),
        new Phase("user, status + amount range", () -> user(null, "posted", BigInteger.valueOf(1000),
            BigInteger.valueOf(500_000))),
        new Phase("operator, q = invoice number", () -> new Query(null, "INV-" + (1 + random(rows)), null, null,
            null, null, null, null, null, limit, null)),
        new Phase("operator, kind + status + last day", () -> new Query(null, null, "pending", "transfer", null,
            null, null, now.minus(1, ChronoUnit.DAYS), null, limit, null)));
  }

  private Query user(String q, String status, BigInteger min, BigInteger max) {
    return new Query("u" + random(owners), q, status, null, null, min, max, null, null, limit, null);
  }

  private static String word() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    String w = r.nextBoolean() ? MERCHANTS.get(r.nextInt(MERCHANTS.size()))
        : CATEGORIES.get(r.nextInt(CATEGORIES.size()));
    if (r.nextInt(4) == 0) {
      // One letter dropped: a typo the trigram similarity still finds.
      int at = 1 + r.nextInt(w.length() - 2);
      w = w.substring(0, at) + w.substring(at + 1);
    }
    return w;
  }

  private static int random(int bound) {
    return ThreadLocalRandom.current().nextInt(bound);
  }

  /** Runs the phase for {@code seconds}: queries, rows returned, errors. */
  private long[] run(TransactionSearch search, Phase phase, int seconds, ConcurrentHistogram h) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long[] counts = new long[3];
    List<Future<Void>> clients = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Promise<Void> done = Promise.promise();
      next(search, phase, end, h, counts, done);
      clients.add(done.future());
    }
    Future.join(clients).await();
    return counts;
  }

  private void next(TransactionSearch search, Phase phase, long end, ConcurrentHistogram h, long[] counts,
      Promise<Void> done) {
    if (System.nanoTime() >= end) {
      done.complete();
      return;
    }
    long t0 = System.nanoTime();
    search.search(phase.query().get()).onComplete(ar -> {
      synchronized (counts) {
        counts[0]++;
        if (ar.succeeded()) {
          counts[1] += ar.result().rows().size();
        } else {
          counts[2]++;
        }
      }
      if (h != null) h.recordValue(Math.min(System.nanoTime() - t0, TimeUnit.SECONDS.toNanos(60)));
      next(search, phase, end, h, counts, done);
    });
  }

  /**
   * Owners and the index in a few statements: each row touches two random accounts, has a description of a merchant,
   * a category and its number, an invoice number in its metadata, and one creation second of the last
   * {@code rows} seconds.
   */
  private void load(Pool pool) {
    long accounts = (long) owners * accountsPerOwner;
    String merchants = "ARRAY['" + String.join("','", MERCHANTS) + "']";
    String categories = "ARRAY['" + String.join("','", CATEGORIES) + "']";
    pool.withConnection(conn -> {
      Future<?> f = conn.query("SET maintenance_work_mem = '256MB'").execute()
          .compose(v -> conn.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'transaction_search' "
              + "AND indexname <> 'transaction_search_pkey'").execute());
      return f.compose(defs -> {
        List<String> names = new ArrayList<>();
        List<String> indexes = new ArrayList<>();
        for (Row r : (io.vertx.sqlclient.RowSet<Row>) defs) {
          names.add(r.getString(0));
          indexes.add(r.getString(1));
        }
        Future<?> chain = conn.query("INSERT INTO account_owners (account_id, owner) SELECT g, 'u' || (g % "
            + owners + ") FROM generate_series(1, " + accounts + ") g").execute();
        for (String name : names) chain = chain.compose(v -> conn.query("DROP INDEX " + name).execute());
        // The per-account table is filled in one statement after the load rather than row by row by its trigger.
        chain = chain.compose(v -> conn.query("ALTER TABLE transaction_search DISABLE TRIGGER "
            + "transaction_search_by_account_insert").execute());
        chain = chain.compose(v -> conn.preparedQuery("""
            INSERT INTO transaction_search (id, kind, status, account_ids, amount, ledger, code, description,
                metadata, created_at, updated_at, version, last_event_id)
            SELECT g::text, CASE WHEN g % 10 = 0 THEN 'payment' ELSE 'transfer' END,
                (ARRAY['posted', 'posted', 'posted', 'pending', 'voided', 'completed'])[1 + g % 6],
                ARRAY[1 + (hashint8(g) & 2147483647) % $1, 1 + (hashint8(-g) & 2147483647) % $1]::numeric[],
                (hashint8(g * 7) & 2147483647) % 1000000, 1, 1 + g % 20,
                (MERCHANTS)[1 + (hashint8(g * 3) & 2147483647) % MERCHANT_COUNT] || ' ' ||
                    (CATEGORIES)[1 + (hashint8(g * 5) & 2147483647) % CATEGORY_COUNT]
                    || ' order ' || g,
                jsonb_build_object('invoice', 'INV-' || g),
                now() - ($2 - g) * interval '1 second', now() - ($2 - g) * interval '1 second', 1, gen_random_uuid()
            FROM generate_series(1, $2) g""".replace("MERCHANT_COUNT", String.valueOf(MERCHANTS.size()))
                .replace("CATEGORY_COUNT", String.valueOf(CATEGORIES.size())).replace("MERCHANTS", merchants)
                .replace("CATEGORIES", categories)).execute(Tuple.of(accounts, (long) rows)));
        chain = chain.compose(v -> conn.query("INSERT INTO transaction_search_by_account (account_id, created_at, id) "
            + "SELECT DISTINCT a, t.created_at, t.id FROM transaction_search t, unnest(t.account_ids) a").execute())
            .compose(v -> conn.query("ALTER TABLE transaction_search ENABLE TRIGGER transaction_search_by_account_insert")
                .execute());
        for (String def : indexes) chain = chain.compose(v -> conn.query(def).execute());
        return chain.compose(v -> conn.query("ANALYZE transaction_search").execute())
            .compose(v -> conn.query("ANALYZE account_owners").execute())
            .compose(v -> conn.query("ANALYZE transaction_search_by_account").execute());
      });
    }).await();
  }
}
