package dev.ledgerline.events;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventRejectedException.Reason;
import dev.ledgerline.infra.postgres.ArrayColumns;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
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
 * leaves what {@code verify-events --repair} rebuilds the row from, and an identical retry completes it. An aggregate
 * whose events are derived from a record of its own needs no such wait ({@link #appendRebuildable}).
 */
public final class LedgerEventStore {
  /** Code of the event-log and sink accounts. */
  public static final int ACCOUNT_CODE = 0xE7E1;
  /** Event accounts can hold no money: any nonzero transfer to or from them fails. */
  static final int LOG_ACCOUNT_FLAGS = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS;
  static final int SINK_ACCOUNT_FLAGS = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS;
  public static final long MAX_VERSION = 0xFFFF_FFFFL;
  private static final int KNOWN_ACCOUNTS_MAX = 100_000;
  /** A batch of claims that was not all new (rolled back). */
  private static final RuntimeException NOT_NEW = new RuntimeException("claims not all new", null, false, false) {};

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
    Transfer transfer;
    try {
      transfer = transfer(aggregateId, new Next(version, type, payload), 0);
    } catch (EventRejectedException e) {
      return Future.failedFuture(e);
    }
    UInt128 transferId = transfer.id();
    return claim(transferId, aggregateId, version, type, payload)
        .compose(v -> ensureAccounts(aggregateId))
        .compose(v -> ledger.createTransfers(List.of(transfer)))
        .compose(failures -> {
          CreateTransferResult result = failures.isEmpty() ? CreateTransferResult.OK : failures.get(0).result();
          if (result == CreateTransferResult.OK || result == CreateTransferResult.EXISTS) {
            return ledger.lookupTransfers(List.of(transferId));
          }
          if (result == CreateTransferResult.EXISTS_WITH_DIFFERENT_FLAGS) {
            // appendAll links the events of a chain: this very event, written by a chain (a concurrent writer of the
            // same events, or an earlier attempt), differs from it by that flag alone.
            return ledger.lookupTransfers(List.of(transferId)).compose(found -> !found.isEmpty()
                && sameBesidesLink(found.get(0), transfer) ? Future.succeededFuture(found)
                : unclaim(transferId).transform(x -> Future.failedFuture(
                    new EventVersionConflictException(aggregateId, version))));
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
          long timestamp = found.get(0).timestamp();
          Next e = new Next(version, type, payload);
          return pool.withTransaction(conn -> writeRow(conn, transferId, aggregateId, e, timestamp))
              .compose(same -> stored(same, transferId, aggregateId, e, timestamp));
        });
  }

  /** An event of {@link #appendAll}. */
  public record Next(long version, String type, JsonObject payload) {}

  /**
   * Appends events of one aggregate, in ascending version order, as one linked chain: one claim statement, one ledger
   * request and one row transaction for them all, where {@link #append} takes those for each event. When the chain
   * does not go through whole (a retry finds part of it written, or a version is someone else's), nothing of it was
   * written, and the events are appended one by one: each then gets {@link #append}'s answer, and none is written
   * after a version that failed.
   */
  public Future<List<StoredEvent>> appendAll(UInt128 aggregateId, List<Next> events) {
    if (events.size() <= 1) {
      return events.isEmpty() ? Future.succeededFuture(List.of()) : oneByOne(aggregateId, events);
    }
    List<Transfer> chain;
    try {
      chain = chain(aggregateId, events);
    } catch (EventRejectedException e) {
      return Future.failedFuture(e);
    }
    List<UInt128> ids = chain.stream().map(Transfer::id).toList();
    return claimAll(aggregateId, events, ids).compose(fresh -> !fresh ? oneByOne(aggregateId, events)
        : writeChain(aggregateId, events, chain, true));
  }

  /**
   * {@link #appendAll} for the events of an aggregate that derives them from a record of its own, which
   * {@code verify-events --repair} rebuilds a lost row from ({@link EventStoreVerifier.PayloadSource}: a payment's
   * row). No payload is kept aside while the ledger writes, which spares a PostgreSQL transaction and a row written
   * and deleted per event. Every writer of such a version writes the very same event, so no claim is needed to tell
   * writers apart either. A single event is written as a chain of one. When the chain does not go through whole, the
   * events are appended one by one, with claims, as {@link #appendAll} does.
   *
   * <p>Only for aggregates whose every event, by every writer and every method of this store, is the one derived from
   * their record: a writer with another payload at such a version is not stopped before the ledger.
   */
  public Future<List<StoredEvent>> appendRebuildable(UInt128 aggregateId, List<Next> events) {
    if (events.isEmpty()) return Future.succeededFuture(List.of());
    List<Transfer> chain;
    try {
      chain = chain(aggregateId, events);
    } catch (EventRejectedException e) {
      return Future.failedFuture(e);
    }
    return writeChain(aggregateId, events, chain, false);
  }

  /** The events' transfers, the last one unlinked; refuses versions that do not ascend. */
  private List<Transfer> chain(UInt128 aggregateId, List<Next> events) throws EventRejectedException {
    List<Transfer> chain = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      if (i > 0 && events.get(i).version() <= events.get(i - 1).version()) {
        throw new EventRejectedException(Reason.INVALID, "versions must ascend: " + events.get(i - 1).version()
            + " then " + events.get(i).version());
      }
      chain.add(transfer(aggregateId, events.get(i), i < events.size() - 1 ? TransferFlags.LINKED : 0));
    }
    return chain;
  }

  /**
   * The chain in one ledger request, then its rows: with their claims ({@code claimed}), in one transaction that also
   * ends the claims; without, in one statement.
   */
  private Future<List<StoredEvent>> writeChain(UInt128 aggregateId, List<Next> events, List<Transfer> chain,
      boolean claimed) {
    List<UInt128> ids = chain.stream().map(Transfer::id).toList();
    return ensureAccounts(aggregateId)
        .compose(v -> ledger.createTransfers(chain))
        .compose(failures -> !failures.isEmpty() ? afterChainRefused(aggregateId, events, ids, claimed)
            : ledger.lookupTransfers(ids).compose(found -> {
              if (found.size() != ids.size()) {
                return Future.failedFuture(new EventStoreException("the transfers of events v"
                    + events.get(0).version() + " to v" + events.get(events.size() - 1).version() + " of "
                    + aggregateId + " were committed but cannot be read back"));
              }
              Future<List<Boolean>> written = !claimed ? writeRows(aggregateId, events, ids, found)
                  : pool.withTransaction(conn -> {
                    Future<List<Boolean>> rows = Future.succeededFuture(new ArrayList<>());
                    for (int i = 0; i < events.size(); i++) {
                      int at = i;
                      rows = rows.compose(out -> writeRow(conn, ids.get(at), aggregateId, events.get(at),
                          found.get(at).timestamp()).map(same -> {
                            out.add(same);
                            return out;
                          }));
                    }
                    return rows;
                  });
              return written.compose(same -> {
                List<StoredEvent> out = new ArrayList<>(events.size());
                for (int i = 0; i < events.size(); i++) {
                  Future<StoredEvent> e = stored(same.get(i), ids.get(i), aggregateId, events.get(i),
                      found.get(i).timestamp());
                  if (e.failed()) return Future.failedFuture(e.cause());
                  out.add(e.result());
                }
                return Future.succeededFuture(out);
              });
            }));
  }

  private Future<List<StoredEvent>> oneByOne(UInt128 aggregateId, List<Next> events) {
    return oneByOne(aggregateId, events, new ArrayList<>());
  }

  private Future<List<StoredEvent>> oneByOne(UInt128 aggregateId, List<Next> events, List<StoredEvent> out) {
    Future<List<StoredEvent>> chain = Future.succeededFuture(out);
    for (Next e : events) {
      chain = chain.compose(x -> append(aggregateId, e.version(), e.type(), e.payload()).map(stored -> {
        out.add(stored);
        return out;
      }));
    }
    return chain;
  }

  /**
   * The ledger refused the chain, so none of it was written: event by event, each gets its own answer (a retry's
   * written events answer {@code exists} and go through). The chain's own claims ({@code claimed}) after a failed
   * event are taken back; without them, a claim there is another writer's and stays.
   */
  private Future<List<StoredEvent>> afterChainRefused(UInt128 aggregateId, List<Next> events, List<UInt128> ids,
      boolean claimed) {
    List<StoredEvent> done = new ArrayList<>();
    return oneByOne(aggregateId, events, done).recover(err -> !claimed ? Future.failedFuture(err)
        : unclaimAfter(ids, done.size()).transform(x -> Future.failedFuture(err)));
  }

  /** Whether a stored event transfer is {@code mine} but for the chain's link flag (and the ledger's timestamp). */
  private static boolean sameBesidesLink(Transfer stored, Transfer mine) {
    return unlinked(stored).equals(unlinked(mine));
  }

  private static Transfer unlinked(Transfer t) {
    return t.withFlags(t.flags() & ~TransferFlags.LINKED).withTimestamp(0);
  }

  /** The event's zero-amount transfer; refuses what {@link #append} refuses before anything is written. */
  private Transfer transfer(UInt128 aggregateId, Next e, int flags) throws EventRejectedException {
    if (aggregateId.isZero() || aggregateId.isMax()) {
      throw new EventRejectedException(Reason.INVALID, "aggregate id must not be 0 or 2^128-1");
    }
    if (e.version() < 1 || e.version() > MAX_VERSION) {
      throw new EventRejectedException(Reason.INVALID, "version must be 1 to " + MAX_VERSION + ": " + e.version());
    }
    int code = types.code(e.type());
    EventPublisher.checkPayload(e.payload(), maxPayloadBytes);
    return new Transfer(LedgerEventIds.transfer(ledgerId, aggregateId, e.version()),
        LedgerEventIds.logAccount(ledgerId, aggregateId), LedgerEventIds.sinkAccount(ledgerId), UInt128.ZERO,
        UInt128.ZERO, aggregateId, code, (int) e.version(), 0, ledgerId, code, flags, 0);
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

  /**
   * The claims of {@link #appendAll} in one statement: true when every one is new. False when any was there already,
   * a retry's or someone else's, which {@link #append} tells apart event by event.
   */
  private Future<Boolean> claimAll(UInt128 aggregateId, List<Next> events, List<UInt128> ids) {
    List<Tuple> rows = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      Next e = events.get(i);
      rows.add(Tuple.of(ids.get(i).toString(), aggregateId.toString(), e.version(), e.type(), e.payload()));
    }
    // All or none: a batch that is not all new is rolled back, so this call claims nothing it then leaves to
    // append, which claims event by event and stops at a refused version.
    return pool.withTransaction(conn -> conn.preparedQuery("INSERT INTO ledger_event_payloads (transfer_id, "
            + "aggregate_id, version, event_type, payload) VALUES ($1::text::numeric, $2::text::numeric, $3, $4, "
            + "$5::jsonb) ON CONFLICT DO NOTHING").executeBatch(rows)
        .compose(result -> {
          int inserted = 0;
          for (var r = result; r != null; r = r.next()) inserted += r.rowCount();
          return inserted == events.size() ? Future.succeededFuture(true) : Future.<Boolean>failedFuture(NOT_NEW);
        }))
        .recover(e -> e == NOT_NEW ? Future.succeededFuture(false) : Future.failedFuture(e));
  }

  /** The chain's claims after the event that failed: none of them was written, and this call will not write them. */
  private Future<Void> unclaimAfter(List<UInt128> ids, int failed) {
    if (failed + 1 >= ids.size()) return Future.succeededFuture();
    List<String> rest = ids.subList(failed + 1, ids.size()).stream().map(UInt128::toString).toList();
    return pool.preparedQuery("DELETE FROM ledger_event_payloads WHERE transfer_id = ANY($1::text[]::numeric[])")
        .execute(Tuple.of(rest.toArray(String[]::new))).mapEmpty();
  }

  private Future<Void> unclaim(UInt128 transferId) {
    return pool.preparedQuery("DELETE FROM ledger_event_payloads WHERE transfer_id = $1::text::numeric")
        .execute(Tuple.of(transferId.toString())).mapEmpty();
  }

  /**
   * The rows of unclaimed events, in one statement (so one transaction of its own): whether each row holds its event
   * (false: a row already there is another event's). Rows already there are compared one by one, which only a retry
   * or a concurrent writer of the same events gets to.
   */
  private Future<List<Boolean>> writeRows(UInt128 aggregateId, List<Next> events, List<UInt128> ids,
      List<Transfer> found) {
    return pool.preparedQuery("INSERT INTO ledger_events (aggregate_id, version, event_type, payload, "
            + "ledger_timestamp, transfer_id) SELECT $1::text::numeric, v, t, p::jsonb, ts, id::numeric "
            + "FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS u(v, t, p, ts, id) "
            + "ON CONFLICT DO NOTHING RETURNING version")
        .execute(Tuple.of(aggregateId.toString(), ArrayColumns.of(events, Next::version, Long[]::new),
            ArrayColumns.of(events, Next::type, String[]::new),
            ArrayColumns.of(events, e -> e.payload().encode(), String[]::new),
            ArrayColumns.of(found, Transfer::timestamp, Long[]::new),
            ArrayColumns.of(ids, UInt128::toString, String[]::new)))
        .compose(inserted -> {
          Set<Long> fresh = new java.util.HashSet<>();
          for (Row r : inserted) fresh.add(r.getLong(0));
          Future<List<Boolean>> same = Future.succeededFuture(new ArrayList<>());
          for (Next e : events) {
            same = same.compose(out -> (fresh.contains(e.version()) ? Future.succeededFuture(true)
                : holds(pool, aggregateId, e)).map(s -> {
                  out.add(s);
                  return out;
                }));
          }
          return same;
        });
  }

  /** Whether the row at the event's version holds this very event. */
  private static Future<Boolean> holds(SqlClient client, UInt128 aggregateId, Next e) {
    return client.preparedQuery("SELECT event_type = $3 AND payload = $4::jsonb FROM ledger_events "
            + "WHERE aggregate_id = $1::text::numeric AND version = $2")
        .execute(Tuple.of(aggregateId.toString(), e.version(), e.type(), e.payload()))
        .map(same -> same.size() == 1 && same.iterator().next().getBoolean(0));
  }

  /**
   * The row and the end of the claim, in {@code conn}'s transaction: whether the row holds this very event (false: a
   * row already there is another event's; the transaction still commits, so the claim is gone either way).
   */
  private static Future<Boolean> writeRow(SqlConnection conn, UInt128 transferId, UInt128 aggregateId, Next e,
      long ledgerTimestamp) {
    return conn.preparedQuery("INSERT INTO ledger_events (aggregate_id, version, event_type, payload, "
            + "ledger_timestamp, transfer_id) VALUES ($1::text::numeric, $2, $3, $4::jsonb, $5, $6::text::numeric) "
            + "ON CONFLICT DO NOTHING")
        .execute(Tuple.of(aggregateId.toString(), e.version(), e.type(), e.payload(), ledgerTimestamp,
            transferId.toString()))
        .compose(inserted -> conn.preparedQuery("DELETE FROM ledger_event_payloads WHERE transfer_id = "
            + "$1::text::numeric").execute(Tuple.of(transferId.toString())).map(inserted))
        .compose(inserted -> inserted.rowCount() == 1 ? Future.succeededFuture(true) : holds(conn, aggregateId, e));
  }

  /** The event as stored once its row is written; a conflict when the row there was another event's. */
  private static Future<StoredEvent> stored(boolean same, UInt128 transferId, UInt128 aggregateId, Next e,
      long ledgerTimestamp) {
    return same
        ? Future.succeededFuture(new StoredEvent(aggregateId, e.version(), e.type(), e.payload(), ledgerTimestamp,
            transferId))
        : Future.failedFuture(new EventVersionConflictException(aggregateId, e.version()));
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
