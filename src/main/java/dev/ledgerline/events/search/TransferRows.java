package dev.ledgerline.events.search;

import static dev.ledgerline.infra.postgres.ArrayColumns.of;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import io.vertx.sqlclient.data.Numeric;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

/**
 * How a committed transfer becomes a {@code transaction_search} row (kind {@code transfer}). A transfer never changes
 * once committed, except that a pending one is later posted or voided by another transfer: that one's row is written
 * and the pending row's status moves with it. The version of a row is the timestamp of the transfer that last changed
 * it, so replaying the feed (a restart, a second indexer, a reindex) never puts an older status back.
 */
final class TransferRows {
  static final String PENDING = "pending";
  static final String POSTED = "posted";
  static final String VOIDED = "voided";

  /**
   * A page's rows in one statement (arrays unnested), not one statement per row: PostgreSQL plans and runs it once,
   * which under load is most of what indexing costs it. Transfer ids are unique within a page.
   */
  static final String UPSERT = """
      INSERT INTO transaction_search AS t (id, kind, status, account_ids, amount, ledger, code, description, metadata,
          provider_reference, created_at, updated_at, version, last_event_id)
      SELECT r.id, 'transfer', r.status, ARRAY[r.debit, r.credit], r.amount, r.ledger, r.code, '', r.metadata::jsonb,
          NULL, r.at, r.at, r.version, r.event_id
      FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bigint[], $7::int[],
          $8::text[], $9::timestamptz[], $10::bigint[], $11::uuid[])
          AS r(id, status, debit, credit, amount, ledger, code, metadata, at, version, event_id)
      ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, account_ids = EXCLUDED.account_ids,
          amount = EXCLUDED.amount, ledger = EXCLUDED.ledger, code = EXCLUDED.code, metadata = EXCLUDED.metadata,
          created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
          last_event_id = EXCLUDED.last_event_id, indexed_at = now()
      WHERE t.kind = 'transfer' AND t.version < EXCLUDED.version""";

  /**
   * The pending transfers' rows follow their posts and voids; only forward (a replayed pending row is older). A
   * pending transfer is resolved once, so its id stands once in a page.
   */
  static final String RESOLVE = """
      UPDATE transaction_search t SET status = r.status, updated_at = r.at, version = r.version,
          last_event_id = r.event_id, indexed_at = now()
      FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::uuid[])
          AS r(id, status, at, version, event_id)
      WHERE t.id = r.id AND t.kind = 'transfer' AND t.version < r.version""";

  private TransferRows() {}

  static String status(Transfer t) {
    if (t.hasFlag(TransferFlags.PENDING)) return PENDING;
    if (t.hasFlag(TransferFlags.VOID_PENDING_TRANSFER)) return VOIDED;
    return POSTED;
  }

  /** A post or void changes its pending transfer's row too. */
  static boolean resolves(Transfer t) {
    return t.hasFlag(TransferFlags.POST_PENDING_TRANSFER) || t.hasFlag(TransferFlags.VOID_PENDING_TRANSFER);
  }

  /** The parameters of {@link #UPSERT} for these transfers. */
  static Tuple upserts(List<Transfer> ts) {
    return Tuple.from(new Object[] {of(ts, t -> t.id().toString(), String[]::new),
        of(ts, TransferRows::status, String[]::new), of(ts, t -> numeric(t.debitAccountId()), Numeric[]::new),
        of(ts, t -> numeric(t.creditAccountId()), Numeric[]::new), of(ts, t -> numeric(t.amount()), Numeric[]::new),
        of(ts, t -> Integer.toUnsignedLong(t.ledger()), Long[]::new), of(ts, Transfer::code, Integer[]::new),
        of(ts, t -> metadata(t).encode(), String[]::new), of(ts, t -> time(t.timestamp()), OffsetDateTime[]::new),
        of(ts, Transfer::timestamp, Long[]::new), of(ts, TransferRows::eventId, UUID[]::new)});
  }

  /** The parameters of {@link #RESOLVE} for these posts and voids. */
  static Tuple resolves(List<Transfer> ts) {
    return Tuple.from(new Object[] {of(ts, t -> t.pendingId().toString(), String[]::new),
        of(ts, TransferRows::status, String[]::new), of(ts, t -> time(t.timestamp()), OffsetDateTime[]::new),
        of(ts, Transfer::timestamp, Long[]::new), of(ts, TransferRows::eventId, UUID[]::new)});
  }

  /** The user data and the pending id when set: searchable by key and value (the tsvector covers metadata). */
  static JsonObject metadata(Transfer t) {
    JsonObject m = new JsonObject();
    if (!t.userData128().isZero()) m.put("user_data_128", t.userData128().toString());
    if (t.userData64() != 0) m.put("user_data_64", Long.toUnsignedString(t.userData64()));
    if (t.userData32() != 0) m.put("user_data_32", Integer.toUnsignedString(t.userData32()));
    if (!t.pendingId().isZero()) m.put("pending_id", t.pendingId().toString());
    return m;
  }

  static Numeric numeric(UInt128 value) {
    return Numeric.create(new BigDecimal(value.toBigInteger()));
  }

  /** A ledger timestamp (nanoseconds since the epoch) as PostgreSQL keeps it (microseconds). */
  static OffsetDateTime time(long timestampNanos) {
    return Instant.ofEpochSecond(0, timestampNanos).atOffset(ZoneOffset.UTC);
  }

  /** The row's last_event_id: the 128 bits of the transfer that wrote it. */
  static UUID eventId(Transfer t) {
    return new UUID(t.id().hi(), t.id().lo());
  }
}
