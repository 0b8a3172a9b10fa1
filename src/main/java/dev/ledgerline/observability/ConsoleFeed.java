package dev.ledgerline.observability;

import dev.ledgerline.events.DeadEvent;
import dev.ledgerline.events.OutboxRelay;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the operator console shows, once a second. Every node publishes its own summary (ledger, HTTP, breakers,
 * caches; see {@link NodeSummary}) on the event bus, so a console on any node shows the whole cluster; state kept in
 * PostgreSQL (payments by status, event lag, parked events) is read here. A snapshot is built only while someone
 * watches. It carries counts, states, meter labels and event types; no payload, no user, no id of a user's data.
 */
public final class ConsoleFeed {
  /** Every node's summary, published once a tick. */
  public static final String NODE_SUMMARIES = "observability.console.node";
  static final long TICK_MS = 1000;
  /** A node whose summary is older than this has left or stalled: it is dropped from the picture. */
  private static final long STALE_MS = 5 * TICK_MS;
  static final int PARKED_SHOWN = 10;

  private final Vertx vertx;
  private final String nodeId;
  private final MeterRegistry registry;
  private final NodeSummary local;
  private final Supplier<JsonArray> members;
  private final StateGauges state;
  private final OutboxRelay relay;
  private final Map<String, JsonObject> nodes = new ConcurrentHashMap<>();
  private final Set<Consumer<JsonObject>> watchers = ConcurrentHashMap.newKeySet();
  private MessageConsumer<JsonObject> consumer;
  private long timer = -1;

  /**
   * @param members the cluster's members as {@code {"id", "roles": [...], "self"}}
   * @param state null on nodes without PostgreSQL; @param relay null on nodes without an outbox relay
   */
  public ConsoleFeed(Vertx vertx, String nodeId, MeterRegistry registry, Supplier<JsonArray> members,
      StateGauges state, OutboxRelay relay) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.registry = registry;
    this.local = new NodeSummary(registry);
    this.members = members;
    this.state = state;
    this.relay = relay;
  }

  public ConsoleFeed start() {
    consumer = vertx.eventBus().consumer(NODE_SUMMARIES, m -> {
      JsonObject s = m.body();
      nodes.put(s.getString("node"), s.put("received", System.currentTimeMillis()));
    });
    timer = vertx.setPeriodic(TICK_MS, id -> tick());
    return this;
  }

  public Future<Void> stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    watchers.clear();
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** Calls {@code watcher} with every snapshot until the returned handle runs. */
  Runnable watch(Consumer<JsonObject> watcher) {
    watchers.add(watcher);
    return () -> watchers.remove(watcher);
  }

  private void tick() {
    vertx.eventBus().publish(NODE_SUMMARIES, local.read(nodeId, System.nanoTime()));
    if (!watchers.isEmpty()) {
      snapshot().onSuccess(s -> watchers.forEach(w -> w.accept(s)));
    }
  }

  /** The console's picture now. */
  public Future<JsonObject> snapshot() {
    long now = System.currentTimeMillis();
    nodes.values().removeIf(s -> now - s.getLong("received", 0L) > STALE_MS);
    JsonObject out = new JsonObject().put("at", now).put("console_node", nodeId).put("members", members.get())
        .put("nodes", new JsonArray(new TreeMap<>(nodes).values().stream().map(ConsoleFeed::withoutReceipt).toList()))
        .put("payments", payments()).put("events", events());
    Future<List<DeadEvent>> parked = relay == null ? Future.succeededFuture(List.of())
        : relay.recentlyParked(PARKED_SHOWN).otherwise(List.of());
    return parked.map(list -> {
      JsonArray shown = new JsonArray();
      for (DeadEvent d : list) {
        // The event's type and who failed on it, never its payload or its error text (which may quote data).
        shown.add(new JsonObject().put("consumer", d.consumer()).put("type", d.event().type())
            .put("attempts", d.attempts()).put("parked_at", d.parkedAt().toString()));
      }
      return out.put("parked", shown);
    });
  }

  private JsonObject payments() {
    JsonObject p = new JsonObject();
    if (state != null) {
      state.payments().forEach((status, n) -> p.put(status.wireName(), n));
    }
    return p;
  }

  private JsonArray events() {
    Map<String, JsonObject> byConsumer = new TreeMap<>();
    read("ledgerline.events.undelivered", "undelivered", byConsumer);
    read("ledgerline.events.lag.seconds", "lag_s", byConsumer);
    read("ledgerline.events.parked", "parked", byConsumer);
    return new JsonArray(List.copyOf(byConsumer.values()));
  }

  private void read(String gauge, String field, Map<String, JsonObject> byConsumer) {
    for (Gauge g : registry.find(gauge).gauges()) {
      String c = g.getId().getTag("consumer");
      byConsumer.computeIfAbsent(c, k -> new JsonObject().put("consumer", k)).put(field, g.value());
    }
  }

  private static JsonObject withoutReceipt(JsonObject summary) {
    JsonObject copy = summary.copy();
    copy.remove("received");
    return copy;
  }
}
