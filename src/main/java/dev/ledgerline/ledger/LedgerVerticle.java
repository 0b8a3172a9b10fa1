package dev.ledgerline.ledger;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.ledger.LedgerApi.AccountQuery;
import dev.ledgerline.ledger.LedgerApi.Accounts;
import dev.ledgerline.ledger.LedgerApi.Balances;
import dev.ledgerline.ledger.LedgerApi.CreateAccounts;
import dev.ledgerline.ledger.LedgerApi.CreateAccountsReply;
import dev.ledgerline.ledger.LedgerApi.CreateTransfers;
import dev.ledgerline.ledger.LedgerApi.CreateTransfersReply;
import dev.ledgerline.ledger.LedgerApi.CreateAnswer;
import dev.ledgerline.ledger.LedgerApi.CreateAnswers;
import dev.ledgerline.ledger.LedgerApi.CreateRequests;
import dev.ledgerline.ledger.LedgerApi.Lookup;
import dev.ledgerline.ledger.LedgerApi.Query;
import dev.ledgerline.ledger.LedgerApi.Transfers;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.wire.BatcherLedger;
import dev.ledgerline.ledger.wire.WireHeader;
import dev.ledgerline.ledger.wire.WireProtocol;
import dev.ledgerline.ledger.wire.WireServer;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ledger} role: wires the event-bus addresses of {@link LedgerApi} to a {@link LedgerBatcher} over the
 * configured {@link LedgerBackend}. It refuses to start beside another ledger it can see ({@link LedgerOwnership});
 * with the embedded backend it serves writes only while it holds the ledger's write lease in PostgreSQL
 * ({@link LedgerLease}), asked before every batch.
 */
public final class LedgerVerticle extends RoleVerticle {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerVerticle.class);

  private final Function<LedgerlineConfig.Ledger, LedgerBackend> opener;
  private final UnaryOperator<LedgerBackend> decorator;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private LedgerlineConfig.Ledger config;
  private LedgerOwnership ownership;
  private LedgerBackend backend;
  private LedgerBatcher batcher;
  private volatile boolean stopped;
  private CommittedPublisher publisher;
  /** The embedded engine under any decorator (null for TigerBeetle), and its write lease. */
  private LedgerEngine engine;
  private volatile LedgerLease lease;
  /** The embedded ledger's data directory id (null for TigerBeetle). */
  private UUID ledgerId;
  private long renewTimer = -1;
  private boolean renewing;
  /** TigerBeetle's client protocol ({@code ledger.wire.*}), or null when not enabled. */
  private WireServer wire;

  public LedgerVerticle(NodeContext node) {
    this(node, UnaryOperator.identity());
  }

  /** With a wrapper around the opened backend (tests: fault injection over the real engine). */
  public LedgerVerticle(NodeContext node, UnaryOperator<LedgerBackend> decorator) {
    this(node, LedgerBackends::open, decorator);
  }

  private LedgerVerticle(NodeContext node, Function<LedgerlineConfig.Ledger, LedgerBackend> opener,
      UnaryOperator<LedgerBackend> decorator) {
    super(node);
    this.opener = opener;
    this.decorator = decorator;
  }

  /** Opens its backend with {@code opener} instead of from the configuration (tests: fault injection). */
  static LedgerVerticle openingWith(NodeContext node, Function<LedgerlineConfig.Ledger, LedgerBackend> opener) {
    return new LedgerVerticle(node, opener, UnaryOperator.identity());
  }

  @Override
  public Role role() {
    return Role.LEDGER;
  }

  @Override
  protected Future<?> startRole() {
    config = node.config().ledger();
    ownership = new LedgerOwnership(vertx, node.nodeId(), config.backend());
    return ownership.claim()
        .compose(v -> vertx.executeBlocking(() -> opener.apply(config)))
        .compose(opened -> {
          backend = opened;
          if (opened instanceof LedgerEngine e) {
            engine = e;
            LedgerMetrics.engine(node.registry(), e);
          }
          return takeLease();
        })
        .compose(v -> {
          LedgerBackend b = decorator.apply(backend);
          backend = b;
          batcher = new LedgerBatcher(b, new LedgerBatcher.Settings(config.batchMaxEvents(), config.batchLinger(),
              config.queueMaxEvents(), config.requestTimeout()), r -> context.runOnContext(x -> r.run()),
              timers(), System::nanoTime, node.registry());
          if (node.tracing().enabled()) batcher.tracer(node.tracing().tracer());
          if (lease != null) {
            batcher.writeGate(lease::refusal);
            long every = Math.max(1, lease.ttl().toMillis() / 3);
            renewTimer = vertx.setPeriodic(every, id -> renew());
          }
          Future<Void> publishing = Future.succeededFuture();
          if (config.publishCommitted()) {
            publisher = new CommittedPublisher(vertx, b, feedCursors(), node.config().feed().pollInterval(),
                node.config().feed().consumerInterval());
            batcher.onCommitted(publisher::committed);
            // The first cursor load is awaited so that a fresh feed starts at the ledger's end before any request is
            // taken, but only for a request timeout: an unreachable TigerBeetle cluster never answers, and the
            // publisher retries the load at every poll anyway.
            publishing = publisher.start().timeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .recover(e -> Future.succeededFuture());
          }
          node.configService().onReload(c -> context.runOnContext(x -> {
            if (stopped) return;
            LedgerlineConfig.Ledger l = c.ledger();
            batcher.reconfigure(l.batchMaxEvents(), l.batchLinger(), l.queueMaxEvents());
            LOG.info("ledger batching reconfigured: max-events {}, linger {}", l.batchMaxEvents(), l.batchLinger());
          }));
          return publishing.compose(started -> register()).compose(registered -> startWire());
        })
        .onSuccess(v -> LOG.info("ledger started on node {}: backend {}, max-events {}, linger {}, queue {} events, "
            + "timeout {}", node.nodeId(), config.backend().id(), config.batchMaxEvents(), config.batchLinger(),
            config.queueMaxEvents(), config.requestTimeout()))
        .recover(err -> {
          stopped = true; // a reload must not reach a ledger that never started
          return cleanup().transform(x -> Future.failedFuture(err));
        });
  }

  /**
   * With the embedded engine, takes the ledger's write lease in PostgreSQL before any write is served: one writer
   * per ledger whatever Hazelcast believes about membership. Waits up to {@code ledger.lease.acquire-timeout} for a
   * lease another node holds; a lease of another ledger, or one ahead of this node's data, refuses the start at once.
   */
  private Future<Void> takeLease() {
    if (engine == null) return Future.succeededFuture();
    if (!node.services().hasPostgres()) {
      return Future.failedFuture(new LedgerException("the embedded ledger needs PostgreSQL (postgres.*) for its write "
          + "lease, and this node has none"));
    }
    Path dir = config.engine().dataDir();
    // Expiry pulses are writes too: none without the lease (an idle former writer must not grow its log).
    engine.pulseGate(() -> lease != null && lease.valid());
    return vertx.executeBlocking(() -> LedgerIdentity.of(dir)).compose(id -> {
      ledgerId = id;
      lease = new LedgerLease(node.services().pool(), LedgerLease.EMBEDDED, id, LedgerIdentity.holder(dir),
          node.nodeId(), config.lease().ttl(), System::nanoTime);
      long deadline = System.nanoTime() + config.lease().acquireTimeout().toNanos();
      Promise<Void> taken = Promise.promise();
      acquire(id, deadline, taken, null);
      return taken.future();
    });
  }

  /**
   * Where the publisher's feed cursor lives: PostgreSQL, shared by the cluster, so it survives a restart and follows
   * the ledger role to another node; keyed by the ledger (a new data directory or another TigerBeetle cluster starts
   * afresh). A node without PostgreSQL (TigerBeetle only) keeps it in memory and starts at the ledger's end.
   */
  private FeedCursors feedCursors() {
    String ledger = engine != null ? "embedded:" + ledgerId : "tigerbeetle:" + config.tigerbeetleClusterId();
    if (node.services().hasPostgres()) {
      return FeedCursors.postgres(node.services().pool(), CommittedPublisher.CONSUMER, ledger);
    }
    LOG.warn("no PostgreSQL on this node: the committed-transfer feed's cursor is kept in memory, so transfers "
        + "committed while the ledger is down are not published after a restart");
    return FeedCursors.inMemory();
  }

  private void acquire(UUID id, long deadline, Promise<Void> taken, String lastWait) {
    // The epoch goes into the log before any write of this holder: the log says which holder wrote what.
    lease.acquire(engine.lastOp(), engine.currentEpoch() + 1).compose(epoch -> Future.fromCompletionStage(engine.fence(epoch), context)
        .map(epoch)).onSuccess(epoch -> {
      LOG.info("ledger {} write lease taken by node {}: epoch {}, ttl {}, at op {}", id, node.nodeId(), epoch,
          lease.ttl(), engine.lastOp());
      taken.complete();
    }).onFailure(err -> {
      // Held by another node, or PostgreSQL not answering: both may pass. Another ledger's data, or stale data, never.
      boolean retry = !(err instanceof LedgerLease.LeaseException le) || le.reason() == LedgerLease.Reason.HELD;
      if (!retry || System.nanoTime() - deadline >= 0 || stopped) {
        taken.fail(new LedgerException("refusing to start the ledger on node " + node.nodeId() + ": "
            + err.getMessage() + (retry ? " (waited ledger.lease.acquire-timeout = " + config.lease().acquireTimeout()
            + ")" : "") + ". If that ledger's data is gone for good and this node's is the one to keep, an operator "
            + "removes the lease first: DELETE FROM ledger_lease WHERE name = '" + LedgerLease.EMBEDDED + "'", err));
        return;
      }
      if (!err.getMessage().equals(lastWait)) LOG.warn("ledger waiting for the write lease: {}", err.getMessage());
      vertx.setTimer(Math.max(50, Math.min(1000, lease.ttl().toMillis() / 4)),
          t -> acquire(id, deadline, taken, err.getMessage()));
    });
  }

  /** Renews the lease with the last durable op; a lease taken over is lost for good (writes stay refused). */
  private void renew() {
    if (renewing || stopped || lease.lost()) return;
    renewing = true;
    // Bounded: a renewal hanging on a half-open connection must not keep the next ones from trying.
    lease.renew(engine.lastOp()).timeout(Math.max(1, lease.ttl().toMillis() / 3), TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
      renewing = false;
      if (ar.failed()) {
        if (lease.lost()) {
          LOG.error("ledger on node {}: {}", node.nodeId(), ar.cause().getMessage());
          vertx.cancelTimer(renewTimer);
        } else {
          LOG.warn("ledger write lease not renewed ({}); writes stop when it runs out", ar.cause().getMessage());
        }
      }
    });
  }

  private Future<Void> register() {
    EventBus bus = vertx.eventBus();
    consumers.add(bus.<CreateTransfers>consumer(LedgerApi.CREATE_TRANSFERS,
        m -> batcher.createTransfers(m.body().transfers(), reply(m, CreateTransfersReply::new))));
    consumers.add(bus.<CreateAccounts>consumer(LedgerApi.CREATE_ACCOUNTS,
        m -> batcher.createAccounts(m.body().accounts(), reply(m, CreateAccountsReply::new))));
    consumers.add(bus.<CreateRequests<?>>consumer(LedgerApi.CREATE_MANY, m -> createMany(m, m.body())));
    consumers.add(bus.<Lookup>consumer(LedgerApi.LOOKUP_ACCOUNTS, m -> batcher.read(LedgerApi.LOOKUP_ACCOUNTS,
        m.body().ids(), () -> backend.lookupAccounts(m.body().ids()), reply(m, Accounts::new))));
    consumers.add(bus.<Lookup>consumer(LedgerApi.LOOKUP_TRANSFERS, m -> batcher.read(LedgerApi.LOOKUP_TRANSFERS,
        m.body().ids(), () -> backend.lookupTransfers(m.body().ids()), reply(m, Transfers::new))));
    consumers.add(bus.<AccountQuery>consumer(LedgerApi.ACCOUNT_TRANSFERS, m -> batcher.read(
        LedgerApi.ACCOUNT_TRANSFERS, List.of(m.body().filter().accountId()),
        () -> backend.getAccountTransfers(m.body().filter()), reply(m, Transfers::new))));
    consumers.add(bus.<AccountQuery>consumer(LedgerApi.ACCOUNT_BALANCES, m -> batcher.read(
        LedgerApi.ACCOUNT_BALANCES, List.of(m.body().filter().accountId()),
        () -> backend.getAccountBalances(m.body().filter()), reply(m, Balances::new))));
    consumers.add(bus.<Query>consumer(LedgerApi.QUERY_ACCOUNTS, m -> batcher.read(LedgerApi.QUERY_ACCOUNTS,
        List.of(), () -> backend.queryAccounts(m.body().filter()), reply(m, Accounts::new))));
    consumers.add(bus.<Query>consumer(LedgerApi.QUERY_TRANSFERS, m -> batcher.read(LedgerApi.QUERY_TRANSFERS,
        List.of(), () -> backend.queryTransfers(m.body().filter()), reply(m, Transfers::new))));
    consumers.add(bus.<String>consumer(LedgerApi.OWNER, m -> m.reply(ownership.info())));
    // Registered only when they have reached the whole cluster: no NO_HANDLERS right after start.
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /**
   * Queues each request of a coalesced message as if it had come alone, and replies once every one of them is
   * answered (each by its own deadline at the latest).
   */
  private <E extends Event, R extends EventResult> void createMany(Message<?> m, CreateRequests<E> body) {
    @SuppressWarnings("unchecked")
    Operation<E, R> op = (Operation<E, R>) body.operation();
    List<List<E>> requests = body.requests();
    List<CreateAnswer<R>> answers = new ArrayList<>(java.util.Collections.nCopies(requests.size(), null));
    int[] left = {requests.size()};
    if (left[0] == 0) {
      m.reply(new CreateAnswers<>(op, List.of()));
      return;
    }
    for (int i = 0; i < requests.size(); i++) {
      int index = i;
      batcher.create(op, requests.get(i), new LedgerBatcher.Reply<>() {
        @Override
        public void succeed(List<R> results) {
          answer(CreateAnswer.ok(results));
        }

        @Override
        public void fail(int code, String message) {
          answer(CreateAnswer.failed(code, message));
        }

        private void answer(CreateAnswer<R> a) {
          answers.set(index, a);
          if (--left[0] == 0) m.reply(new CreateAnswers<>(op, answers));
        }
      });
    }
  }

  /**
   * With {@code ledger.wire.enabled}, TigerBeetle clients feed the same batcher as the event bus. A request may carry
   * at most {@code ledger.batch.max-events} events, as {@code --limit-request} bounds a TigerBeetle replica's.
   */
  private Future<Void> startWire() {
    LedgerlineConfig.LedgerWire w = node.config().ledgerWire();
    if (!w.enabled()) return Future.succeededFuture();
    int requestSizeLimit = WireHeader.SIZE + config.batchMaxEvents() * Operation.CREATE_TRANSFERS.eventSize();
    WireProtocol protocol = new WireProtocol(UInt128.parse(w.clusterId()), new BatcherLedger(batcher, backend),
        requestSizeLimit, WireProtocol.CLIENTS_MAX, () -> System.currentTimeMillis() * 1_000_000L);
    wire = new WireServer(vertx, w, protocol);
    // Listening from this verticle's context binds every connection to it: the batcher's thread, no locking.
    Promise<Void> listening = Promise.promise();
    context.runOnContext(v -> wire.start().<Void>mapEmpty().onComplete(listening));
    return listening.future();
  }

  private static <T> LedgerBatcher.Reply<T> reply(Message<?> m, Function<T, Object> wrap) {
    return new LedgerBatcher.Reply<>() {
      @Override
      public void succeed(T value) {
        m.reply(wrap.apply(value));
      }

      @Override
      public void fail(int code, String message) {
        m.fail(code, message);
      }
    };
  }

  private LedgerBatcher.Timers timers() {
    return new LedgerBatcher.Timers() {
      @Override
      public long setTimer(long delayMillis, Runnable action) {
        return vertx.setTimer(delayMillis, id -> action.run());
      }

      @Override
      public long setPeriodic(long periodMillis, Runnable action) {
        return vertx.setPeriodic(periodMillis, id -> action.run());
      }

      @Override
      public void cancel(long id) {
        vertx.cancelTimer(id);
      }
    };
  }

  /**
   * Stops taking requests, lets queued and in-flight batches finish, then lets the committed-transfer publisher
   * finish (it reads the backend), then closes the backend.
   */
  @Override
  protected Future<?> stopRole() {
    stopped = true;
    if (renewTimer >= 0) vertx.cancelTimer(renewTimer);
    Future<Void> wireStopped = wire == null ? Future.succeededFuture() : wire.stop().recover(e -> Future.succeededFuture());
    wire = null;
    Future<Void> unregistered = wireStopped.compose(w -> Future.all(consumers.stream()
        .map(MessageConsumer::unregister).toList())).mapEmpty();
    consumers.clear();
    return unregistered.recover(e -> Future.succeededFuture()).compose(v -> {
      if (batcher == null) return Future.<Void>succeededFuture();
      io.vertx.core.Promise<Void> idle = io.vertx.core.Promise.promise();
      batcher.close(idle::tryComplete);
      // Every waiting caller has had its answer once the deadline passed; a backend that never answers (a real
      // TigerBeetle client retries forever) must not hold the node's shutdown.
      return idle.future().timeout(config.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)
          .recover(e -> {
            LOG.warn("ledger stopping with a batch still in flight (backend not answering)");
            return Future.succeededFuture();
          });
    }).compose(v -> {
      CommittedPublisher p = publisher;
      if (p == null) return Future.<Void>succeededFuture();
      // No batch completes any more: publish what the feed holds beyond the cursor, and save the cursor.
      return p.drained().timeout(config.requestTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS).recover(e -> {
        LOG.warn("ledger stopping before every committed batch was published (backend not answering)");
        return Future.succeededFuture();
      });
    }).eventually(this::cleanup);
  }

  private Future<Void> cleanup() {
    if (publisher != null) publisher.stop(); // its poll must not read a closed backend
    LedgerBackend b = backend;
    backend = null;
    Future<Void> closed = b == null ? Future.succeededFuture()
        : vertx.executeBlocking(() -> {
          b.close();
          return null;
        });
    return closed.eventually(this::releaseLease).mapEmpty();
  }

  /** Gives the lease back with the final durable op, so a successor with this data may start at once. */
  private Future<Void> releaseLease() {
    if (lease == null || lease.epoch() == 0 || lease.lost()) return Future.succeededFuture();
    return lease.release(engine.lastOp()).recover(e -> {
      LOG.warn("ledger write lease not released ({}); it expires after {}", e.getMessage(), lease.ttl());
      return Future.succeededFuture();
    });
  }

  /** The batcher, for tests in this package. */
  LedgerBatcher batcher() {
    return batcher;
  }

  @Override
  public Future<JsonObject> health() {
    LedgerBatcher b = batcher;
    LedgerlineConfig.Ledger c = config;
    LedgerBackend backendNow = backend;
    if (b == null || c == null) return super.health();
    java.util.Optional<String> halted = backendNow == null ? java.util.Optional.empty() : backendNow.haltReason();
    if (halted.isPresent()) {
      // Never comes back by itself (a failed fsync is not retried): DOWN until the node is restarted.
      return Future.failedFuture("ledger halted, restart the node: " + halted.get());
    }
    long inFlightMs = b.inFlightNanos() / 1_000_000;
    JsonObject data = new JsonObject().put("backend", c.backend().id()).put("queuedEvents", b.queuedEvents())
        .put("queuedRequests", b.queuedRequests()).put("inFlightMillis", inFlightMs).put("maxEvents", b.maxEvents());
    // A batch older than the request deadline means the backend is not answering (TigerBeetle retries forever).
    if (inFlightMs > c.requestTimeout().toMillis()) {
      return Future.failedFuture("ledger backend has not answered for " + inFlightMs + " ms: " + data.encode());
    }
    LedgerLease l = lease;
    if (l != null) {
      data.put("leaseEpoch", l.epoch());
      String refused = l.refusal();
      // A ledger that may not write is not ready: a load balancer or orchestrator must see it.
      if (refused != null) return Future.failedFuture(refused + ": " + data.encode());
    }
    return super.health().map(h -> h.mergeIn(data));
  }
}
