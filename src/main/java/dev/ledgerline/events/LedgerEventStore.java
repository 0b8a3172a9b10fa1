package dev.ledgerline.events;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventRejectedException.Reason;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Event sourcing on the ledger: each event is one zero-amount transfer on {@code events.ledger}, from the aggregate's
 * event-log account to the ledger's sink account (TigerBeetle refuses a transfer between one account and itself),
 * then a row in PostgreSQL {@code ledger_events} for queries. The ledger is the source of truth.
 *
 * <p>The transfer carries the aggregate id ({@code user_data_128}), the type's code ({@code user_data_64} and
 * {@code code}) and the version ({@code user_data_32}); its id is derived from (aggregate, version), so a second
 * writer of a version gets {@code exists}: an {@link EventVersionConflictException}. Its timestamp is the ledger's
 * own; the caller's time belongs in the payload. The ledger holds no payload, so the payload waits in
 * {@code ledger_event_payloads} from before the transfer until the row is written: a writer that dies in between
 * leaves what {@code verify-events --repair} rebuilds the row from, and an identical retry completes it.
 */
public final class LedgerEventStore {
  /** Code of the event-log and sink accounts. */
  public static final int ACCOUNT_CODE = 0xE7E1;
  /** Event accounts can hold no money: any nonzero transfer to or from them fails. */
  static final int LOG_ACCOUNT_FLAGS = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS;
  static final int SINK_ACCOUNT_FLAGS = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS;
  public static final long MAX_VERSION = 0xFFFF_FFFFL;
  private static final int KNOWN_ACCOUNTS_MAX = 100_000;

  private final LedgerClient ledger;
  private final Pool pool;
  private final EventTypes types;
  private final int ledgerId;
  private final int maxPayloadBytes;
  /** Aggregates whose event-log account exists (a cache: a miss costs one idempotent create). */
  private final Set<UInt128> knownAccounts = Collections.synchronizedSet(Collections.newSetFromMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UInt128, Boolean> eldest) {
          return size() > KNOWN_ACCOUNTS_MAX;
        }
      }));
  private volatile boolean sinkExists;

  public LedgerEventStore(LedgerClient ledger, Pool pool, EventTypes types, int ledgerId, int maxPayloadBytes) {
    this.ledger = ledger;
    this.pool = pool;
    this.types = types;
    this.ledgerId = ledgerId;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  public static LedgerEventStore create(LedgerClient ledger, Pool pool, LedgerlineConfig config) {
    return new LedgerEventStore(ledger, pool, EventTypes.KNOWN, config.events().ledger(),
        config.events().maxPayloadBytes());
  }

  public int ledgerId() {
    return ledgerId;
  }

  /**
   * Appends the event at {@code version} (1 to 2^32-1). Fails with {@link EventRejectedException} before anything is
   * written, with {@link EventVersionConflictException} when another event holds the version, or with the ledger's
   * own typed error (a timeout: outcome unknown, retry the same event). An identical retry succeeds.
   */
  public Future<StoredEvent> append(UInt128 aggregateId, long version, String type, JsonObject payload) {
    int code;
    try {
      if (aggregateId.isZero() || aggregateId.isMax()) {
        throw new EventRejectedException(Reason.INVALID, "aggregate id must not be 0 or 2^128-1");
      }
      if (version < 1 || version > MAX_VERSION) {
        throw new EventRejectedException(Reason.INVALID, "version must be 1 to " + MAX_VERSION + ": " + version);
      }
      code = types.code(type);
      EventPublisher.checkPayload(payload, maxPayloadBytes);
    } catch (EventRejectedException e) {
      return Future.failedFuture(e);
    }
    UInt128 transferId = LedgerEventIds.transfer(ledgerId, aggregateId, version);
    Transfer transfer = new Transfer(transferId, LedgerEventIds.logAccount(ledgerId, aggregateId),
        LedgerEventIds.sinkAccount(ledgerId), UInt128.ZERO, UInt128.ZERO, aggregateId, code, (int) version, 0,
        ledgerId, code, 0, 0);
    return claim(transferId, aggregateId, version, type, payload)
        .compose(v -> ensureAccounts(aggregateId))
        .compose(v -> ledger.createTransfers(List.of(transfer)))
        .compose(failures -> {
          CreateTransferResult result = failures.isEmpty() ? CreateTransferResult.OK : failures.get(0).result();
          if (result == CreateTransferResult.OK || result == CreateTransferResult.EXISTS) {
            return ledger.lookupTransfers(List.of(transferId));
          }
          Throwable err = result.name().startsWith("EXISTS_WITH_DIFFERENT")
              ? new EventVersionConflictException(aggregateId, version)
              : new EventStoreException("the ledger refused event " + type + " v" + version + " of " + aggregateId
                  + ": " + result.tbName());
          // The ledger decided: nothing of this event will ever be written, so its payload goes too.
          return unclaim(transferId).transform(x -> Future.failedFuture(err));
        })
        .compose(found -> {
          if (found.isEmpty()) {
            return Future.failedFuture(new EventStoreException("transfer " + transferId + " of event " + type + " v"
                + version + " was committed but cannot be read back"));
          }
          return writeRow(transferId, aggregateId, version, type, payload, found.get(0).timestamp());
        });
  }

  /** The aggregate's events in version order, from PostgreSQL. */
  public Future<List<StoredEvent>> getEvents(UInt128 aggregateId) {
    return pool.preparedQuery("SELECT aggregate_id::text, version, event_type, payload, ledger_timestamp, "
            + "transfer_id::text FROM ledger_events WHERE aggregate_id = $1::text::numeric ORDER BY version")
        .execute(Tuple.of(aggregateId.toString()))
        .map(rows -> {
          List<StoredEvent> out = new ArrayList<>();
          for (Row r : rows) out.add(storedOf(r));
          return out;
        });
  }

  static StoredEvent storedOf(Row r) {
    return new StoredEvent(UInt128.parse(r.getString(0)), r.getLong(1), r.getString(2), r.getJsonObject(3),
        r.getLong(4), UInt128.parse(r.getString(5)));
  }

  /**
   * Keeps the payload until the row exists, and makes one writer the owner of the version: a claim by someone else
   * with another event is a conflict before anything reaches the ledger; the same event again (a retry) proceeds.
   */
  private Future<Void> claim(UInt128 transferId, UInt128 aggregateId, long version, String type, JsonObject payload) {
    return pool.preparedQuery("INSERT INTO ledger_event_payloads (transfer_id, aggregate_id, version, event_type, "
            + "payload) VALUES ($1::text::numeric, $2::text::numeric, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING")
        .execute(Tuple.of(transferId.toString(), aggregateId.toString(), version, type, payload))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture()
            : pool.preparedQuery("SELECT event_type = $2 AND payload = $3::jsonb FROM ledger_event_payloads "
                    + "WHERE transfer_id = $1::text::numeric")
                .execute(Tuple.of(transferId.toString(), type, payload))
                .compose(same -> same.size() == 0 || same.iterator().next().getBoolean(0)
                    ? Future.succeededFuture()
                    : Future.failedFuture(new EventVersionConflictException(aggregateId, version))));
  }

  private Future<Void> unclaim(UInt128 transferId) {
    return pool.preparedQuery("DELETE FROM ledger_event_payloads WHERE transfer_id = $1::text::numeric")
        .execute(Tuple.of(transferId.toString())).mapEmpty();
  }

  /** The row and the end of the claim in one transaction; a row already there must be this very event. */
  private Future<StoredEvent> writeRow(UInt128 transferId, UInt128 aggregateId, long version, String type,
      JsonObject payload, long ledgerTimestamp) {
    return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO ledger_events (aggregate_id, version, "
                + "event_type, payload, ledger_timestamp, transfer_id) VALUES ($1::text::numeric, $2, $3, $4::jsonb, "
                + "$5, $6::text::numeric) ON CONFLICT DO NOTHING")
            .execute(Tuple.of(aggregateId.toString(), version, type, payload, ledgerTimestamp, transferId.toString()))
            .compose(inserted -> conn.preparedQuery("DELETE FROM ledger_event_payloads "
                + "WHERE transfer_id = $1::text::numeric").execute(Tuple.of(transferId.toString())).map(inserted))
            .compose(inserted -> inserted.rowCount() == 1 ? Future.succeededFuture(true)
                : conn.preparedQuery("SELECT event_type = $3 AND payload = $4::jsonb FROM ledger_events "
                        + "WHERE aggregate_id = $1::text::numeric AND version = $2")
                    .execute(Tuple.of(aggregateId.toString(), version, type, payload))
                    .map(same -> same.size() == 1 && same.iterator().next().getBoolean(0))))
        .compose(same -> same
            ? Future.succeededFuture(new StoredEvent(aggregateId, version, type, payload, ledgerTimestamp, transferId))
            : Future.failedFuture(new EventVersionConflictException(aggregateId, version)));
  }

  /** Creates the aggregate's event-log account (and the sink) unless known to exist; {@code exists} is fine. */
  private Future<Void> ensureAccounts(UInt128 aggregateId) {
    if (sinkExists && knownAccounts.contains(aggregateId)) return Future.succeededFuture();
    List<Account> accounts = new ArrayList<>();
    accounts.add(Account.of(LedgerEventIds.logAccount(ledgerId, aggregateId), ledgerId, ACCOUNT_CODE,
        LOG_ACCOUNT_FLAGS).withUserData(aggregateId, 0, 0));
    if (!sinkExists) {
      accounts.add(Account.of(LedgerEventIds.sinkAccount(ledgerId), ledgerId, ACCOUNT_CODE, SINK_ACCOUNT_FLAGS));
    }
    return ledger.createAccounts(accounts).compose(failures -> {
      for (CreateAccountsResult f : failures) {
        if (f.result() != CreateAccountResult.EXISTS) {
          return Future.failedFuture(new EventStoreException("cannot create event account "
              + accounts.get(f.index()).id() + " on ledger " + ledgerId + ": " + f.result().tbName()));
        }
      }
      knownAccounts.add(aggregateId);
      sinkExists = true;
      return Future.succeededFuture();
    });
  }
}
