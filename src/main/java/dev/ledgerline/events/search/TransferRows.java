package dev.ledgerline.events.search;

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

  static final String UPSERT = """
      INSERT INTO transaction_search AS t (id, kind, status, account_ids, amount, ledger, code, description, metadata,
          provider_reference, created_at, updated_at, version, last_event_id)
      VALUES ($1, 'transfer', $2, $3::numeric[], $4, $5, $6, '', $7::jsonb, NULL, $8, $8, $9, $10)
      ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, account_ids = EXCLUDED.account_ids,
          amount = EXCLUDED.amount, ledger = EXCLUDED.ledger, code = EXCLUDED.code, metadata = EXCLUDED.metadata,
          created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
          last_event_id = EXCLUDED.last_event_id, indexed_at = now()
      WHERE t.kind = 'transfer' AND t.version < EXCLUDED.version""";

  /** The pending transfer's row follows its post or void; only forward (a replayed pending row is older). */
  static final String RESOLVE = """
      UPDATE transaction_search SET status = $2, updated_at = $3, version = $4, last_event_id = $5, indexed_at = now()
      WHERE id = $1 AND kind = 'transfer' AND version < $4""";

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

  static Tuple upsert(Transfer t) {
    return Tuple.from(new Object[] {t.id().toString(), status(t),
        new Numeric[] {numeric(t.debitAccountId()), numeric(t.creditAccountId())}, numeric(t.amount()),
        Integer.toUnsignedLong(t.ledger()), t.code(), metadata(t).encode(), time(t.timestamp()), t.timestamp(),
        eventId(t)});
  }

  static Tuple resolve(Transfer t) {
    return Tuple.of(t.pendingId().toString(), status(t), time(t.timestamp()), t.timestamp(), eventId(t));
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
