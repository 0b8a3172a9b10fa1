package dev.ledgerline.infra.temporal;

import dev.ledgerline.config.LedgerlineConfig;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.common.interceptors.WorkflowClientInterceptor;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testserver.TestServer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.File;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's connection to Temporal and its worker on one task queue.
 *
 * <ul>
 *   <li>{@code temporal.target: inprocess}: Temporal's in-process test server, with time skipping locked, so timers
 *       and timeouts run in real time as on a cluster. Its state is in memory only and ends with the node.
 *   <li>{@code host:port}: a Temporal cluster's frontend, with {@code temporal.namespace} and {@code temporal.tls.*}.
 *       A cluster that is down at start does not stop the node: starts fail until it is back, and the worker tries to
 *       start polling every {@link #WORKER_RETRY}.
 * </ul>
 *
 * <p>Every Temporal SDK call blocks (gRPC), so none of them runs on an event loop: {@link #blocking} runs them on a
 * worker pool of {@code temporal.client-threads} threads.
 */
public final class TemporalService {
  private static final Logger LOG = LoggerFactory.getLogger(TemporalService.class);
  /** How long a stopping worker may finish the tasks it holds before they are abandoned (Temporal retries them). */
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
  /** How often a worker that could not reach the cluster at start tries again. */
  static final Duration WORKER_RETRY = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final LedgerlineConfig.Temporal settings;
  private final String taskQueue;
  private final WorkerExecutor executor;
  private final TestServer.InProcessTestServer server;
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;
  private final WorkerFactory factory;
  private volatile boolean polling;
  private volatile boolean stopped;
  private long retryTimer = -1;

  private TemporalService(Vertx vertx, LedgerlineConfig.Temporal settings, String taskQueue, WorkerExecutor executor,
      TestServer.InProcessTestServer server, WorkflowServiceStubs stubs, WorkflowClient client,
      WorkerFactory factory) {
    this.vertx = vertx;
    this.settings = settings;
    this.taskQueue = taskQueue;
    this.executor = executor;
    this.server = server;
    this.stubs = stubs;
    this.client = client;
    this.factory = factory;
  }

  /**
   * Connects (starting the in-process server when so configured), creates the worker on {@code taskQueue}, lets
   * {@code register} add workflow and activity implementations to it, then starts polling.
   */
  public static Future<TemporalService> start(Vertx vertx, LedgerlineConfig.Temporal settings, String identity,
      String taskQueue, Consumer<Worker> register) {
    return start(vertx, settings, identity, taskQueue, register, new Interceptors(new WorkflowClientInterceptor[0],
        new WorkerInterceptor[0]));
  }

  /** The client's and the worker's interceptors (tracing). */
  public record Interceptors(WorkflowClientInterceptor[] client, WorkerInterceptor[] worker) {}

  /** {@link #start(Vertx, LedgerlineConfig.Temporal, String, String, Consumer)} with the client's and worker's interceptors. */
  public static Future<TemporalService> start(Vertx vertx, LedgerlineConfig.Temporal settings, String identity,
      String taskQueue, Consumer<Worker> register, Interceptors interceptors) {
    WorkerExecutor executor = vertx.createSharedWorkerExecutor("ledgerline-temporal", settings.clientThreads());
    return executor.executeBlocking(() -> open(vertx, settings, identity, taskQueue, register, executor,
            interceptors), false)
        .onFailure(err -> executor.close())
        .compose(t -> t.startPolling().map(t).recover(err -> t.stop().transform(x -> Future.failedFuture(err))));
  }

  private static TemporalService open(Vertx vertx, LedgerlineConfig.Temporal settings, String identity,
      String taskQueue, Consumer<Worker> register, WorkerExecutor executor, Interceptors interceptors)
      throws SSLException {
    TestServer.InProcessTestServer server = null;
    WorkflowServiceStubs stubs = null;
    try {
      WorkflowServiceStubsOptions.Builder options = WorkflowServiceStubsOptions.newBuilder()
          .setRpcTimeout(settings.rpcTimeout());
      if (settings.inProcess()) {
        // true = time skipping locked: the server's clock is the wall clock, as on a real cluster.
        server = TestServer.createServer(true);
        options.setChannel(server.getChannel());
      } else {
        options.setTarget(settings.target());
        if (settings.tls().enabled()) {
          options.setSslContext(sslContext(settings.tls()));
          String serverName = settings.tls().serverName();
          if (!serverName.isEmpty()) options.setChannelInitializer(b -> b.overrideAuthority(serverName));
        }
      }
      stubs = WorkflowServiceStubs.newServiceStubs(options.build());
      WorkflowClient client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder()
          .setNamespace(settings.namespace()).setIdentity(identity).setInterceptors(interceptors.client()).build());
      LedgerlineConfig.TemporalWorker w = settings.worker();
      WorkerFactory factory = WorkerFactory.newInstance(client, WorkerFactoryOptions.newBuilder()
          .setWorkflowCacheSize(w.workflowCacheSize()).setMaxWorkflowThreadCount(w.maxWorkflowThreads())
          .setWorkerInterceptors(interceptors.worker()).build());
      Worker worker = factory.newWorker(taskQueue, WorkerOptions.newBuilder()
          .setMaxConcurrentWorkflowTaskExecutionSize(w.workflowTasks())
          .setMaxConcurrentActivityExecutionSize(w.activities())
          .setMaxConcurrentLocalActivityExecutionSize(w.localActivities())
          .setMaxConcurrentWorkflowTaskPollers(w.workflowPollers())
          .setMaxConcurrentActivityTaskPollers(w.activityPollers())
          .build());
      register.accept(worker);
      return new TemporalService(vertx, settings, taskQueue, executor, server, stubs, client, factory);
    } catch (RuntimeException | SSLException e) {
      if (stubs != null) stubs.shutdownNow();
      if (server != null) server.close();
      throw e;
    }
  }

  /**
   * Starts the worker's polling. The factory first asks the cluster about the namespace; while the cluster cannot be
   * reached that fails and leaves the factory unstarted, so it is tried again later. Any other answer (an unknown
   * namespace, refused credentials) and any failure of the in-process server fail the start: retrying cannot help.
   */
  private Future<Void> startPolling() {
    return blocking(() -> {
      factory.start();
      return (Void) null;
    }).onSuccess(v -> {
      polling = true;
      LOG.info("temporal: worker on task queue {} of namespace {} at {}", taskQueue, settings.namespace(),
          settings.inProcess() ? "the in-process server" : settings.target());
    }).recover(err -> {
      if (settings.inProcess() || !unreachable(err)) return Future.failedFuture(err);
      LOG.warn("temporal: cluster {} not reachable ({}); the worker tries again every {}s", settings.target(),
          err.getMessage(), WORKER_RETRY.toSeconds());
      retryLater();
      return Future.succeededFuture();
    });
  }

  private static boolean unreachable(Throwable err) {
    Status.Code code = Status.fromThrowable(err).getCode();
    return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
  }

  private void retryLater() {
    vertx.runOnContext(x -> {
      if (stopped) return;
      retryTimer = vertx.setTimer(WORKER_RETRY.toMillis(), t -> {
        if (stopped) return;
        blocking(() -> {
          factory.start();
          return (Void) null;
        }).onSuccess(v -> {
          polling = true;
          LOG.info("temporal: worker polling task queue {} at {}", taskQueue, settings.target());
        }).onFailure(err -> {
          LOG.debug("temporal: cluster {} still not reachable: {}", settings.target(), err.getMessage());
          retryLater();
        });
      });
    });
  }

  private interface Step {
    void run() throws Exception;
  }

  private static void quietly(String what, Step step) {
    try {
      step.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.warn("temporal: {} interrupted", what);
    } catch (Exception e) {
      LOG.warn("temporal: {} failed: {}", what, e.toString());
    }
  }

  /** Whether the worker polls its task queue (false while an external cluster could not be reached yet). */
  public boolean polling() {
    return polling;
  }

  private static SslContext sslContext(LedgerlineConfig.TemporalTls tls) throws SSLException {
    SslContextBuilder b = GrpcSslContexts.forClient();
    if (!tls.trust().isEmpty()) b.trustManager(new File(tls.trust()));
    if (!tls.cert().isEmpty() && tls.key().isEmpty()) {
      throw new IllegalArgumentException("temporal.tls.cert is set but temporal.tls.key is empty");
    }
    if (!tls.cert().isEmpty()) b.keyManager(new File(tls.cert()), new File(tls.key()));
    return b.build();
  }

  public WorkflowClient client() {
    return client;
  }

  public String taskQueue() {
    return taskQueue;
  }

  public String namespace() {
    return settings.namespace();
  }

  /** {@code inprocess} or the cluster's {@code host:port}. */
  public String target() {
    return settings.target();
  }

  /** Runs a blocking Temporal call on this service's worker pool, never on the caller's event loop. */
  public <T> Future<T> blocking(Callable<T> call) {
    return executor.executeBlocking(call, false);
  }

  /**
   * Stops polling, lets running tasks finish for a short grace, then closes the connection (and the in-process
   * server). Work left unfinished is retried by Temporal on the next worker.
   */
  public Future<Void> stop() {
    return stop(SHUTDOWN_GRACE);
  }

  /** {@link #stop()} with at most {@code grace} for running tasks and again for closing the connection. */
  public Future<Void> stop(Duration grace) {
    stopped = true;
    vertx.cancelTimer(retryTimer);
    return executor.<Void>executeBlocking(() -> {
      // Each step runs even if the one before failed: a cluster that is down makes the worker's goodbye call fail,
      // and the connection and the in-process server must still be closed.
      quietly("stopping the worker", () -> {
        factory.shutdown();
        factory.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
      });
      quietly("stopping the worker now", factory::shutdownNow);
      quietly("closing the connection", () -> {
        stubs.shutdownNow();
        stubs.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
      });
      if (server != null) quietly("stopping the in-process server", server::close);
      return null;
    }, false).eventually(executor::close);
  }
}
