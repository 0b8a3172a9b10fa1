package dev.ledgerline.events;

import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cross-checks the ledger event store's two halves. The ledger is the truth: every {@code ledger_events} row must have
 * its transfer with the same aggregate, type, version, ledger and timestamp, and every transfer on the events ledger
 * must have its row. With repair, a missing row is rebuilt from its transfer and the payload kept for it in
 * {@code ledger_event_payloads}, or else from the {@link PayloadSource} of aggregates that derive their events from a
 * record of their own (payments: their row); a row without a payload anywhere cannot be rebuilt and stays a violation.
 */
public final class EventStoreVerifier {
  private static final int PAGE = 1000;

  private final LedgerClient ledger;
  private final Pool pool;
  private final EventTypes types;
  private final int ledgerId;
  private final PayloadSource source;

  /**
   * The payload of an event rebuilt from the aggregate's own record, when the aggregate derives its events from one.
   * Answers empty when it cannot, or when it would hold another type at that version.
   */
  @FunctionalInterface
  public interface PayloadSource {
    PayloadSource NONE = (aggregateId, version, type) -> Future.succeededFuture(Optional.empty());

    Future<Optional<JsonObject>> payload(UInt128 aggregateId, long version, String type);
  }

  public EventStoreVerifier(LedgerClient ledger, Pool pool, EventTypes types, int ledgerId) {
    this(ledger, pool, types, ledgerId, PayloadSource.NONE);
  }

  public EventStoreVerifier(LedgerClient ledger, Pool pool, EventTypes types, int ledgerId, PayloadSource source) {
    this.ledger = ledger;
    this.pool = pool;
    this.types = types;
    this.ledgerId = ledgerId;
    this.source = source;
  }

  /** What a run found: rows and transfers checked, rows rebuilt, and every violation left. */
  public record Report(long rows, long transfers, long repaired, List<String> violations) {
    public boolean clean() {
      return violations.isEmpty();
    }
  }

  public Future<Report> verify(boolean repair) {
    List<String> violations = new ArrayList<>();
    long[] counts = new long[3];
    return checkRows(0, violations, counts)
        .compose(v -> checkTransfers(0, repair, violations, counts))
        .map(v -> new Report(counts[0], counts[1], counts[2], List.copyOf(violations)));
  }

  /** Every row, a page at a time in transfer-id order, against its transfer. */
  private Future<Void> checkRows(long offsetRows, List<String> violations, long[] counts) {
    return pool.preparedQuery("SELECT aggregate_id::text, version, event_type, payload, ledger_timestamp, "
            + "transfer_id::text FROM ledger_events ORDER BY transfer_id LIMIT $1 OFFSET $2")
        .execute(Tuple.of(PAGE, offsetRows))
        .compose(rows -> {
          List<StoredEvent> page = new ArrayList<>();
          for (Row r : rows) page.add(LedgerEventStore.storedOf(r));
          if (page.isEmpty()) return Future.succeededFuture();
          counts[0] += page.size();
          return ledger.lookupTransfers(page.stream().map(StoredEvent::transferId).toList()).compose(found -> {
            Map<UInt128, Transfer> byId = new HashMap<>();
            for (Transfer t : found) byId.put(t.id(), t);
            for (StoredEvent e : page) {
              String where = "row " + e.aggregateId() + " v" + e.version() + " (" + e.type() + ")";
              Transfer t = byId.get(e.transferId());
              if (!e.transferId().equals(LedgerEventIds.transfer(ledgerId, e.aggregateId(), e.version()))) {
                violations.add(where + ": transfer id " + e.transferId() + " is not the one derived from it");
              } else if (t == null) {
                violations.add(where + ": no transfer " + e.transferId() + " in the ledger");
              } else if (!t.userData128().equals(e.aggregateId())
                  || Integer.toUnsignedLong(t.userData32()) != e.version() || !types.known(e.type())
                  || t.userData64() != types.code(e.type()) || t.code() != types.code(e.type())
                  || t.ledger() != ledgerId || t.timestamp() != e.ledgerTimestamp()) {
                violations.add(where + ": differs from transfer " + t.id() + " (user_data_128 " + t.userData128()
                    + ", user_data_64 " + t.userData64() + ", user_data_32 " + Integer.toUnsignedLong(t.userData32())
                    + ", code " + t.code() + ", ledger " + t.ledger() + ", timestamp " + t.timestamp() + ")");
              }
            }
            return checkRows(offsetRows + page.size(), violations, counts);
          });
        });
  }

  /** Every transfer on the events ledger, in commit order, against its row. */
  private Future<Void> checkTransfers(long afterTimestamp, boolean repair, List<String> violations, long[] counts) {
    QueryFilter filter = new QueryFilter(UInt128.ZERO, 0, 0, ledgerId, 0, afterTimestamp + 1, 0, PAGE, 0);
    return ledger.queryTransfers(filter).compose(page -> {
      if (page.isEmpty()) return Future.succeededFuture();
      counts[1] += page.size();
      String[] ids = page.stream().map(t -> t.id().toString()).toArray(String[]::new);
      return pool.preparedQuery("SELECT transfer_id::text FROM ledger_events "
              + "WHERE transfer_id = ANY($1::text[]::numeric[])").execute(Tuple.of((Object) ids))
          .compose(rows -> {
            java.util.Set<String> present = new java.util.HashSet<>();
            for (Row r : rows) present.add(r.getString(0));
            Future<Void> chain = Future.succeededFuture();
            for (Transfer t : page) {
              if (present.contains(t.id().toString())) continue;
              chain = chain.compose(v -> missingRow(t, repair, violations, counts));
            }
            long last = page.get(page.size() - 1).timestamp();
            return chain.compose(v -> checkTransfers(last, repair, violations, counts));
          });
    });
  }

  private Future<Void> missingRow(Transfer t, boolean repair, List<String> violations, long[] counts) {
    UInt128 aggregateId = t.userData128();
    long version = Integer.toUnsignedLong(t.userData32());
    String type = types.name(t.code()).orElse(null);
    String where = "transfer " + t.id() + " (aggregate " + aggregateId + " v" + version + ", code " + t.code() + ")";
    if (type == null || !t.id().equals(LedgerEventIds.transfer(ledgerId, aggregateId, version))) {
      violations.add(where + ": on the events ledger but not an event transfer");
      return Future.succeededFuture();
    }
    if (!repair) {
      violations.add(where + ": no ledger_events row");
      return Future.succeededFuture();
    }
    return pool.withTransaction(conn -> conn.preparedQuery("SELECT event_type, payload FROM ledger_event_payloads "
            + "WHERE transfer_id = $1::text::numeric FOR UPDATE").execute(Tuple.of(t.id().toString()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return source.payload(aggregateId, version, type).map(derived -> derived.map(Rebuild::of)
                .orElse(Rebuild.not(where + ": no ledger_events row, and no payload kept to rebuild it from")));
          }
          Row p = rows.iterator().next();
          if (!type.equals(p.getString(0))) {
            return Future.succeededFuture(Rebuild.not(where + ": kept payload is of type " + p.getString(0)
                + ", transfer of " + type));
          }
          return Future.succeededFuture(Rebuild.of(p.getJsonObject(1)));
        })
        .compose(found -> {
          if (found.problem() != null) return Future.succeededFuture(found);
          // A writer still under way (a payment's keeps no payload aside) may write the row meanwhile: then it is
          // there, and nothing is rebuilt.
          return conn.preparedQuery("INSERT INTO ledger_events (aggregate_id, version, event_type, payload, "
                  + "ledger_timestamp, transfer_id) VALUES ($1::text::numeric, $2, $3, $4::jsonb, $5, "
                  + "$6::text::numeric) ON CONFLICT DO NOTHING")
              .execute(Tuple.of(aggregateId.toString(), version, type, found.payload(), t.timestamp(),
                  t.id().toString()))
              .compose(inserted -> conn.preparedQuery("DELETE FROM ledger_event_payloads WHERE transfer_id = "
                  + "$1::text::numeric").execute(Tuple.of(t.id().toString()))
                  .map(x -> inserted.rowCount() == 1 ? found : Rebuild.NOT_NEEDED));
        }))
        .map(outcome -> {
          if (outcome.problem() != null) {
            violations.add(outcome.problem());
          } else if (outcome != Rebuild.NOT_NEEDED) {
            counts[2]++;
          }
          return null;
        });
  }

  /** A missing row's payload, or why it cannot be rebuilt. */
  private record Rebuild(JsonObject payload, String problem) {
    /** The row came from its own writer meanwhile. */
    static final Rebuild NOT_NEEDED = new Rebuild(null, null);

    static Rebuild of(JsonObject payload) {
      return new Rebuild(payload, null);
    }

    static Rebuild not(String problem) {
      return new Rebuild(null, problem);
    }
  }
}
