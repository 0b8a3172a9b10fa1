package dev.ledgerline.ledger.tigerbeetle;

import com.tigerbeetle.Client;
import com.tigerbeetle.PacketStatus;
import com.tigerbeetle.RequestException;
import dev.ledgerline.ledger.BatchTooLargeException;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerException;
import dev.ledgerline.ledger.LedgerUnavailableException;
import dev.ledgerline.ledger.Operation;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link LedgerBackend} over a TigerBeetle 0.16.30 cluster through the official Java client.
 *
 * <p>One client per process and cluster, shared by every backend instance (TigerBeetle's guidance: each client is a
 * session with its own native thread; many clients evict each other). Imported events go through a second client:
 * the client merges queued creates into one request, and TigerBeetle decides {@code imported} by the first event of
 * a request, so mixing them on one client could fail another caller's events.
 *
 * <p>Calls are asynchronous. The client completes its futures on its native thread: the mapping here is plain
 * computation (never blocking), and callers hop back to their own context. The client never times out; callers
 * impose their own deadline and report "outcome unknown".
 */
public final class TigerBeetleBackend implements LedgerBackend {
  private static final Logger LOG = LoggerFactory.getLogger(TigerBeetleBackend.class);
  private static final Map<String, Shared> SHARED = new HashMap<>();
  private static final long CLOSE_WAIT_MS = 5_000;

  /** A process-wide client pair, counted by its users. */
  private static final class Shared {
    final String key;
    final byte[] clusterId;
    final String[] addresses;
    final Client client;
    Client importClient;
    int users;

    Shared(String key, byte[] clusterId, String[] addresses) {
      this.key = key;
      this.clusterId = clusterId;
      this.addresses = addresses;
      this.client = newClient(clusterId, addresses);
    }

    synchronized Client importClient() {
      if (importClient == null) importClient = newClient(clusterId, addresses);
      return importClient;
    }
  }

  private final Shared shared;
  private final AtomicBoolean closed = new AtomicBoolean();

  private TigerBeetleBackend(Shared shared) {
    this.shared = shared;
  }

  /** A backend on the process's shared client for this cluster (created on first use). */
  public static TigerBeetleBackend open(UInt128 clusterId, List<String> addresses) {
    if (addresses.isEmpty()) throw new LedgerException("ledger.tigerbeetle.addresses must name at least one replica");
    String key = clusterId + "@" + String.join(",", addresses);
    synchronized (SHARED) {
      Shared s = SHARED.get(key);
      if (s == null) {
        s = new Shared(key, TigerBeetleMapping.clusterId(clusterId), addresses.toArray(String[]::new));
        SHARED.put(key, s);
        LOG.info("TigerBeetle client for cluster {} at {} created", clusterId, addresses);
      }
      s.users++;
      return new TigerBeetleBackend(s);
    }
  }

  private static Client newClient(byte[] clusterId, String[] addresses) {
    try {
      return new Client(clusterId, addresses);
    } catch (RuntimeException e) {
      throw new LedgerUnavailableException("cannot create the TigerBeetle client for " + String.join(",", addresses)
          + ": " + e.getMessage(), e);
    }
  }

  private Client client(boolean imported) {
    if (closed.get()) throw new LedgerUnavailableException("TigerBeetle backend is closed");
    return imported ? shared.importClient() : shared.client;
  }

  @Override
  public CompletionStage<List<CreateAccountsResult>> createAccounts(List<Account> accounts) {
    return create(Operation.CREATE_ACCOUNTS, accounts,
        (client, events) -> client.createAccountsAsync(TigerBeetleMapping.accounts(events)),
        TigerBeetleMapping::accountResults);
  }

  @Override
  public CompletionStage<List<CreateTransfersResult>> createTransfers(List<Transfer> transfers) {
    return create(Operation.CREATE_TRANSFERS, transfers,
        (client, events) -> client.createTransfersAsync(TigerBeetleMapping.transfers(events)),
        TigerBeetleMapping::transferResults);
  }

  /** Imported batches go to their own client: TigerBeetle decides {@code imported} by a request's first event. */
  private <E extends Event, B, R extends EventResult> CompletionStage<List<R>> create(Operation<E, R> op,
      List<E> events, BiFunction<Client, List<E>, CompletableFuture<B>> send, Function<B, List<R>> results) {
    if (events.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(events.size()));
    boolean imported = op.imported(events);
    return call(() -> send.apply(client(imported), events), results);
  }

  @Override
  public CompletionStage<List<Account>> lookupAccounts(List<UInt128> ids) {
    if (ids.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(ids.size()));
    return call(() -> client(false).lookupAccountsAsync(TigerBeetleMapping.ids(ids)), TigerBeetleMapping::accounts);
  }

  @Override
  public CompletionStage<List<Transfer>> lookupTransfers(List<UInt128> ids) {
    if (ids.size() > BATCH_MAX) return CompletableFuture.failedFuture(new BatchTooLargeException(ids.size()));
    return call(() -> client(false).lookupTransfersAsync(TigerBeetleMapping.ids(ids)),
        TigerBeetleMapping::transfers);
  }

  @Override
  public CompletionStage<List<Transfer>> getAccountTransfers(AccountFilter filter) {
    return query(TigerBeetleMapping.accountFilter(filter), Client::getAccountTransfersAsync,
        TigerBeetleMapping::transfers);
  }

  @Override
  public CompletionStage<List<AccountBalance>> getAccountBalances(AccountFilter filter) {
    return query(TigerBeetleMapping.accountFilter(filter), Client::getAccountBalancesAsync,
        TigerBeetleMapping::balances);
  }

  @Override
  public CompletionStage<List<Account>> queryAccounts(QueryFilter filter) {
    return query(TigerBeetleMapping.queryFilter(filter), Client::queryAccountsAsync, TigerBeetleMapping::accounts);
  }

  @Override
  public CompletionStage<List<Transfer>> queryTransfers(QueryFilter filter) {
    return query(TigerBeetleMapping.queryFilter(filter), Client::queryTransfersAsync, TigerBeetleMapping::transfers);
  }

  /** A filter the client cannot express (null from the mapping) gets TigerBeetle's answer to it: nothing. */
  private <F, B, T> CompletionStage<List<T>> query(F filter, BiFunction<Client, F, CompletableFuture<B>> send,
      Function<B, List<T>> rows) {
    if (filter == null) return CompletableFuture.completedFuture(List.of());
    return call(() -> send.apply(client(false), filter), rows);
  }

  /**
   * Starts a client call and maps its result into a future of our own. The mapping runs on the client's thread,
   * is plain computation, and is guarded: an exception there must not escape into the client's completion path.
   */
  private static <R, T> CompletionStage<T> call(Supplier<CompletableFuture<R>> start, Function<R, T> map) {
    CompletableFuture<T> out = new CompletableFuture<>();
    CompletableFuture<R> cf;
    try {
      cf = start.get();
    } catch (RuntimeException e) {
      out.completeExceptionally(translate(e, false));
      return out;
    }
    cf.whenComplete((r, err) -> {
      try {
        if (err != null) {
          out.completeExceptionally(translate(err, true));
        } else {
          out.complete(map.apply(r));
        }
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
      }
    });
    return out;
  }

  /**
   * The client's errors as the ledger's typed ones. Once a request was handed to the client ({@code submitted}), a
   * closed or evicted client no longer proves that nothing was executed: only a refusal at submission does.
   */
  static Throwable translate(Throwable t, boolean submitted) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof LedgerException) return e;
    if (e instanceof RequestException re) {
      if (re.getStatus() == PacketStatus.TooMuchData.value) return new BatchTooLargeException(BATCH_MAX + 1);
      // Evicted or shut down: the request may or may not have reached the cluster; the caller decides.
      return new LedgerException("TigerBeetle request failed: " + re.getMessage(), re);
    }
    if (e instanceof IllegalStateException) {
      return submitted ? new LedgerException("TigerBeetle client closed with the request pending: " + e.getMessage(), e)
          : new LedgerUnavailableException("TigerBeetle client is closed: " + e.getMessage(), e);
    }
    return e;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    synchronized (SHARED) {
      if (--shared.users > 0) return;
      SHARED.remove(shared.key);
    }
    // Client.close() waits for the client's ongoing requests, and against an unreachable cluster those never end:
    // close on a daemon thread and give up waiting after a bound, so a node can always stop.
    Thread closer = new Thread(() -> {
      shared.client.close();
      synchronized (shared) {
        if (shared.importClient != null) shared.importClient.close();
      }
    }, "tigerbeetle-close");
    closer.setDaemon(true);
    closer.start();
    try {
      closer.join(CLOSE_WAIT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closer.isAlive()) {
      LOG.warn("TigerBeetle client did not close within {} ms (requests still pending); leaving it behind",
          CLOSE_WAIT_MS);
    }
  }
}
