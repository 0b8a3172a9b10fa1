package dev.ledgerline.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledgerline.cache.MultiLayerCache.Entry;
import dev.ledgerline.cache.MultiLayerCache.Source;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerApi.TransfersCommitted;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerClient;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Account balances, cache-aside over the ledger on a {@link MultiLayerCache} whose TTL is {@code cache.balance.ttl}:
 * every current balance the gateway shows (docs/caching.md, "Balance fields everywhere").
 *
 * <p><b>Version.</b> A cached balance carries the timestamp of the latest transfer that touched the account (the
 * account's own timestamp before its first transfer): the gateway's strong {@code ETag}. The balance holds every
 * transfer up to its version (see {@code loadAll}), so a version at or past a transfer's timestamp proves the balance
 * includes that transfer.
 *
 * <p><b>Refresh-ahead.</b> A read that finds less than {@code cache.balance.refresh-ahead} left answers at once with the
 * cached balance and starts a refresh in the background, once per entry per node, and only where it wins the key's
 * short Redis lock ({@code SET NX PX cache.balance.refresh-lock}), so one node of the cluster refreshes it; without
 * Redis each node refreshes its own. A failed refresh leaves the old value to its TTL and counts in
 * {@code ledgerline.cache.balance.refresh{result=failed}}.
 *
 * <p><b>Writes.</b> Every node hears the ledger's committed transfers ({@link LedgerApi#TRANSFERS_COMMITTED}) itself
 * and drops both accounts of each transfer from its L1 and from L2; the time from the transfer's ledger timestamp to
 * that drop is the histogram {@code ledgerline.cache.invalidation.delay}.
 *
 * <p>This class never checks who asks: callers authorise the reader first.
 */
public final class BalanceCache {
  private static final Logger LOG = LoggerFactory.getLogger(BalanceCache.class);
  private static final String NAME = "balance";
  private static final String LOCK_PREFIX = "ll:cache:balance:lock:";
  /** Pending-transfer expiries remembered per node (two keys each); beyond it an expiry waits for the TTL. */
  static final int EXPIRIES_TRACKED = 200_000;
  /**
   * Delays beyond this are a stalled feed, a replay of old transfers after a restart or clocks apart: counted, not
   * mixed into the latency histogram.
   */
  private static final long PLAUSIBLE_DELAY_MS = 60_000;

  /** A balance and its version. */
  public record Balance(Account account, long version) {
    /**
     * The version and a checksum of the four balances: a pending transfer's expiry changes them without a transfer,
     * so the version alone would validate a balance that is no longer the one it was given for.
     */
    public String etag() {
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      for (UInt128 v : List.of(account.debitsPending(), account.debitsPosted(), account.creditsPending(),
          account.creditsPosted())) {
        crc.update(v.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        crc.update(',');
      }
      return "\"" + Long.toUnsignedString(version) + "-" + Long.toHexString(crc.getValue()) + "\"";
    }
  }

  /** Where balances come from: the ledger in production. */
  public interface Ledger {
    /** The balance, or null when there is no such account. */
    Future<Balance> load(UInt128 id);

    /** The balances of these accounts (absent ones left out), in as few ledger calls as the source allows. */
    default Future<Map<UInt128, Balance>> loadAll(List<UInt128> ids) {
      List<Future<Balance>> each = new ArrayList<>();
      ids.forEach(id -> each.add(load(id)));
      return Future.all(each).map(v -> {
        Map<UInt128, Balance> found = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
          if (each.get(i).result() != null) {
            found.put(ids.get(i), each.get(i).result());
          }
        }
        return found;
      });
    }
  }

  /** What answered a read, for {@code X-Cache}. */
  public enum Served { L1, L2, MISS, REFRESH }

  /**
   * @param balance null when the ledger has no such account (not cached)
   */
  public record Answer(Balance balance, long ageMillis, long freshMillis, Served served) {}

  private final Vertx vertx;
  private final Redis redis;
  private final Ledger ledger;
  private final LongSupplier clock;
  private final String nodeId;
  private final MultiLayerCache<Balance> cache;
  private volatile LedgerlineConfig.Cache settings;
  private final Duration commandTimeout;
  /** Entries (by key and expiry) whose refresh this node already tried, so each window refreshes once. */
  private final Cache<String, Long> refreshTried;
  private final Counter refreshOk;
  private final Counter refreshFailed;
  private final Counter refreshElsewhere;
  private final Timer invalidationDelay;
  private final Counter lateInvalidations;
  private MessageConsumer<TransfersCommitted> committed;
  /** Balances an expiry will change (see {@link PendingExpiries}). */
  private final PendingExpiries expiries;
  private final Counter expiryDrops;
  private long expiryTimer = -1;

  public BalanceCache(Vertx vertx, Redis redis, LedgerClient ledger, LedgerlineConfig.Cache settings,
      Duration commandTimeout, MeterRegistry registry, String nodeId, LongSupplier clock) {
    this(vertx, redis, new Ledger() {
      @Override
      public Future<Balance> load(UInt128 id) {
        return BalanceCache.load(ledger, id);
      }

      @Override
      public Future<Map<UInt128, Balance>> loadAll(List<UInt128> ids) {
        return BalanceCache.loadAll(ledger, ids);
      }
    }, settings, commandTimeout, registry, nodeId, clock);
  }

  public BalanceCache(Vertx vertx, Redis redis, Ledger ledger, LedgerlineConfig.Cache settings,
      Duration commandTimeout, MeterRegistry registry, String nodeId, LongSupplier clock) {
    this.vertx = vertx;
    this.redis = redis;
    this.ledger = ledger;
    this.clock = clock;
    this.nodeId = nodeId;
    this.settings = settings;
    this.commandTimeout = commandTimeout;
    this.cache = new MultiLayerCache<>(vertx, redis, NAME, CODEC, layerSettings(settings, commandTimeout), registry,
        clock);
    this.refreshTried = Caffeine.newBuilder().maximumSize(settings.l1MaxEntries())
        .expireAfterWrite(settings.balanceTtl()).build();
    this.refreshOk = refreshCounter(registry, "ok");
    this.refreshFailed = refreshCounter(registry, "failed");
    this.refreshElsewhere = refreshCounter(registry, "elsewhere");
    this.expiries = new PendingExpiries(EXPIRIES_TRACKED);
    this.expiryDrops = Counter.builder("ledgerline.cache.balance.expiries.untracked")
        .description("pending-transfer expiries left to the balance TTL because too many were tracked")
        .register(registry);
    this.invalidationDelay = Timer.builder("ledgerline.cache.invalidation.delay")
        .description("from a transfer's ledger timestamp to its accounts' balances dropped on this node")
        .publishPercentiles(0.5, 0.99).publishPercentileHistogram().register(registry);
    this.lateInvalidations = Counter.builder("ledgerline.cache.invalidation.late")
        .description("committed batches whose balances were dropped a minute or more after the ledger committed them")
        .register(registry);
  }

  private static Counter refreshCounter(MeterRegistry registry, String result) {
    return Counter.builder("ledgerline.cache.balance.refresh").description("balance refreshes ahead of expiry by result")
        .tag("result", result).register(registry);
  }

  private static MultiLayerCache.Settings layerSettings(LedgerlineConfig.Cache c, Duration commandTimeout) {
    return new MultiLayerCache.Settings(c.l1MaxEntries(), c.balanceTtl(), c.balanceTtl(), commandTimeout);
  }

  /** Starts hearing committed transfers. */
  public BalanceCache start() {
    committed = vertx.eventBus().consumer(LedgerApi.TRANSFERS_COMMITTED, m -> onCommitted(m.body()));
    expiryTimer = vertx.setPeriodic(PendingExpiries.BUCKET_MS, t -> dropExpired());
    return this;
  }

  /** Applies reloaded {@code cache.*} settings (TTL, refresh-ahead, size, debug headers). */
  public void update(LedgerlineConfig.Cache c) {
    this.settings = c;
    cache.update(layerSettings(c, commandTimeout));
  }

  public LedgerlineConfig.Cache settings() {
    return settings;
  }

  /**
   * The account's balance. {@code consistent} reads through to the ledger (and stores what it reads), for a client
   * that must see its own write.
   */
  public Future<Answer> get(UInt128 id, boolean consistent) {
    String key = id.toString();
    if (consistent) {
      return cache.reload(key, List.of(), () -> ledger.load(id)).map(e -> answer(e, Served.MISS));
    }
    return cache.get(key, List.of(), () -> ledger.load(id)).map(e -> served(id, e));
  }

  /**
   * The balances of many accounts (a list's rows), each as {@link #get} would answer it: what this node's memory
   * holds is served from there, and every other id is read from L2 or, on a miss, by one {@link Ledger#loadAll} for
   * all of them, started by the first miss. Each key stays single-flight: an id another read is already loading
   * joins that load. {@code consistent} reads every id through to the ledger, again in one {@code loadAll}.
   *
   * @return an answer per distinct id, in the order given; an absent account's answer has a null balance
   */
  public Future<Map<UInt128, Answer>> getAll(Collection<UInt128> ids, boolean consistent) {
    List<UInt128> distinct = List.copyOf(new LinkedHashSet<>(ids));
    Set<UInt128> notInMemory = new LinkedHashSet<>();
    for (UInt128 id : distinct) {
      if (consistent || cache.peek(id.toString()) == null) {
        notInMemory.add(id);
      }
    }
    BatchLoad batch = new BatchLoad(notInMemory);
    List<Future<Answer>> each = new ArrayList<>();
    for (UInt128 id : distinct) {
      String key = id.toString();
      if (!notInMemory.contains(id)) {
        each.add(get(id, false));
      } else if (consistent) {
        each.add(cache.reload(key, List.of(), () -> batch.of(id)).map(e -> answer(e, Served.MISS)));
      } else {
        each.add(cache.get(key, List.of(), () -> batch.of(id)).map(e -> served(id, e)));
      }
    }
    return Future.all(each).map(v -> {
      Map<UInt128, Answer> answers = new LinkedHashMap<>();
      for (int i = 0; i < distinct.size(); i++) {
        answers.put(distinct.get(i), each.get(i).result());
      }
      return answers;
    });
  }

  /** One {@link Ledger#loadAll} for a multi-get's misses, started when the first of them needs it. */
  private final class BatchLoad {
    private final List<UInt128> ids;
    private Future<Map<UInt128, Balance>> loaded;

    BatchLoad(Collection<UInt128> ids) {
      this.ids = List.copyOf(ids);
    }

    /** Loaders run wherever their key's L2 read completed: the first of them starts the one load. */
    synchronized Future<Balance> of(UInt128 id) {
      if (loaded == null) {
        loaded = ledger.loadAll(ids);
      }
      return loaded.map(found -> found.get(id));
    }
  }

  /** A read's answer, starting a refresh when the entry is near its end (once per entry per node). */
  private Answer served(UInt128 id, Entry<Balance> e) {
    if (e == null) {
      return new Answer(null, 0, 0, Served.MISS);
    }
    String key = id.toString();
    long now = clock.getAsLong();
    if (e.source() != Source.LOAD && e.remainingMillis(now) < settings.balanceRefreshAhead().toMillis()
        && refreshTried.asMap().putIfAbsent(key + "@" + e.expiresAt(), e.expiresAt()) == null) {
      refresh(id);
      return answer(e, Served.REFRESH);
    }
    return answer(e, e.source() == Source.L1 ? Served.L1 : e.source() == Source.L2 ? Served.L2 : Served.MISS);
  }

  /** The balance this node's L1 holds for the account, if fresh; never asks Redis or the ledger. */
  public Answer known(UInt128 id) {
    Entry<Balance> e = cache.peek(id.toString());
    return e == null ? null : answer(e, Served.L1);
  }

  private Answer answer(Entry<Balance> e, Served served) {
    if (e == null) {
      return new Answer(null, 0, 0, Served.MISS);
    }
    long now = clock.getAsLong();
    return new Answer(e.value(), e.ageMillis(now), e.remainingMillis(now), served);
  }

  /** One refresh per key cluster-wide: this node refreshes only if it takes the key's lock. */
  private void refresh(UInt128 id) {
    String key = id.toString();
    Future<Boolean> mine = redis == null || cache.degraded() ? Future.succeededFuture(true)
        : redis.send(Request.cmd(Command.SET).arg(LOCK_PREFIX + key).arg(nodeId).arg("NX").arg("PX")
            .arg(settings.refreshLock().toMillis())).timeout(commandTimeout.toMillis(), TimeUnit.MILLISECONDS)
            // Redis away: each node refreshes its own entry (once per window, as above).
            .map(r -> r != null).otherwise(true);
    mine.onSuccess(won -> {
      if (!won) {
        refreshElsewhere.increment();
        return;
      }
      cache.reload(key, List.of(), () -> ledger.load(id)).onComplete(ar -> {
        if (ar.succeeded()) {
          refreshOk.increment();
        } else {
          refreshFailed.increment();
          LOG.debug("refreshing the balance of {} failed ({}); the cached one serves until its TTL", key,
              ar.cause().toString());
        }
      });
    });
  }

  /** The account and the timestamp of its latest transfer; null when the ledger has no such account. */
  private static Future<Balance> load(LedgerClient ledger, UInt128 id) {
    return loadAll(ledger, List.of(id)).map(found -> found.get(id));
  }

  /**
   * Each account's latest transfer (one read per account, in parallel: the ledger has no query for the latest
   * transfer of several accounts), then the accounts in one lookup. In that order, so that the version is never
   * ahead of the balance: the balance holds every transfer up to its version, and possibly later ones that committed
   * between the two reads (whose commits then drop the entry). Read the other way round, a transfer committing in
   * between would give its version to the balance from before it.
   */
  private static Future<Map<UInt128, Balance>> loadAll(LedgerClient ledger, List<UInt128> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    List<Future<List<Transfer>>> latest = new ArrayList<>();
    for (UInt128 id : ids) {
      latest.add(ledger.getAccountTransfers(latestTransfer(id)));
    }
    return Future.all(latest).compose(v -> lookup(ledger, ids)).map(accounts -> {
      Map<UInt128, Integer> index = new HashMap<>();
      for (int i = 0; i < ids.size(); i++) {
        index.put(ids.get(i), i);
      }
      Map<UInt128, Balance> found = new HashMap<>();
      for (Account a : accounts) {
        List<Transfer> t = latest.get(index.get(a.id())).result();
        found.put(a.id(), new Balance(a, t.isEmpty() ? a.timestamp() : t.get(0).timestamp()));
      }
      return found;
    });
  }

  /** The accounts, in lookups of at most a ledger batch each (a stream's page may touch more). */
  private static Future<List<Account>> lookup(LedgerClient ledger, List<UInt128> ids) {
    List<Future<List<Account>>> parts = new ArrayList<>();
    for (int from = 0; from < ids.size(); from += LedgerBackend.BATCH_MAX) {
      parts.add(ledger.lookupAccounts(ids.subList(from, Math.min(ids.size(), from + LedgerBackend.BATCH_MAX))));
    }
    return Future.all(parts).map(v -> {
      List<Account> all = new ArrayList<>();
      parts.forEach(part -> all.addAll(part.result()));
      return all;
    });
  }

  private static AccountFilter latestTransfer(UInt128 id) {
    return new AccountFilter(id, UInt128.ZERO, 0, 0, 0, 0, 0, 1,
        AccountFilterFlags.DEBITS | AccountFilterFlags.CREDITS | AccountFilterFlags.REVERSED);
  }

  /**
   * Drops the balances of the accounts a write of this node touched from its L1 and from L2; completes when L2
   * answered or the command timeout passed, never failing.
   */
  public Future<Void> written(Collection<UInt128> accounts) {
    Set<String> keys = new LinkedHashSet<>();
    for (UInt128 a : accounts) keys.add(a.toString());
    return cache.invalidateHere(keys);
  }

  private void onCommitted(TransfersCommitted batch) {
    Set<String> keys = new LinkedHashSet<>();
    long oldest = Long.MAX_VALUE;
    for (Transfer t : batch.transfers()) {
      keys.add(t.debitAccountId().toString());
      keys.add(t.creditAccountId().toString());
      oldest = Math.min(oldest, t.timestamp());
    }
    if (keys.isEmpty()) {
      return;
    }
    expiryDrops.increment(expiries.add(batch.transfers()));
    long committedMillis = oldest / 1_000_000;
    // Every node deletes the same L2 keys; DEL is idempotent, and no node depends on another having heard the batch.
    // The delay is the batch's worst, up to L2's answer (or the command timeout): when no node can serve the old value.
    cache.invalidateHere(keys).onComplete(ar -> {
      long delay = clock.getAsLong() - committedMillis;
      if (delay >= PLAUSIBLE_DELAY_MS) {
        lateInvalidations.increment();
      } else if (delay >= 0) {
        invalidationDelay.record(delay, TimeUnit.MILLISECONDS);
      }
    });
  }

  /** Drops the balances whose pending transfer's expiry is due, on this node's L1 and in L2 (as a commit does). */
  private void dropExpired() {
    List<String> keys = expiries.takeDue(clock.getAsLong());
    if (keys.isEmpty()) {
      return;
    }
    cache.invalidateHere(keys);
  }

  public JsonObject health() {
    return cache.health();
  }

  public boolean degraded() {
    return cache.degraded();
  }

  public Future<Void> close() {
    if (expiryTimer >= 0) {
      vertx.cancelTimer(expiryTimer);
    }
    return Future.join(cache.close(), committed == null ? Future.succeededFuture() : committed.unregister())
        .mapEmpty();
  }

  /** The account in the ledger's own 128-byte layout, then the version: 136 bytes. */
  static final MultiLayerCache.Codec<Balance> CODEC = new MultiLayerCache.Codec<>() {
    @Override
    public byte[] encode(Balance b) {
      ByteBuffer buf = ByteBuffer.allocate(Wire.ACCOUNT_SIZE + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      Wire.ACCOUNT.put(buf, 0, b.account());
      buf.putLong(Wire.ACCOUNT_SIZE, b.version());
      return buf.array();
    }

    @Override
    public Balance decode(byte[] bytes) {
      if (bytes.length != Wire.ACCOUNT_SIZE + 8) {
        throw new IllegalArgumentException("a balance is " + (Wire.ACCOUNT_SIZE + 8) + " bytes, not " + bytes.length);
      }
      ByteBuffer buf = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      return new Balance(Wire.ACCOUNT.get(buf, 0), buf.getLong(Wire.ACCOUNT_SIZE));
    }
  };
}
