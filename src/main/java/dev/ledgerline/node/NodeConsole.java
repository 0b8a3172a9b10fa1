package dev.ledgerline.node;

import com.hazelcast.cluster.Member;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.OutboxRelay;
import dev.ledgerline.events.WebhookDeliveries;
import dev.ledgerline.gateway.GatewayComponents;
import dev.ledgerline.gateway.revocation.RevocationCheck;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.observability.ConsoleAccess;
import dev.ledgerline.observability.ConsoleFeed;
import dev.ledgerline.observability.ConsoleRoutes;
import dev.ledgerline.observability.StateGauges;
import dev.ledgerline.transactions.PaymentStore;
import dev.ledgerline.users.Role;
import io.micrometer.core.instrument.binder.system.DiskSpaceMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node's observability parts: the gauges read from PostgreSQL, the webhook delivery counters, and the operator
 * console mounted on the management server. Built by {@link Node} once the relay exists, started with the
 * management server and stopped before it.
 */
final class NodeConsole {
  private final StateGauges gauges;
  private final ConsoleFeed feed;

  /** @param gateway the gateway's components once deployed (null before, or on a node without the gateway role) */
  NodeConsole(String nodeId, LedgerlineConfig config, NodeVertx.Built built, DataServices services,
      OutboxRelay relay, ManagementAuth auth, Supplier<GatewayComponents> gateway, ManagementServer management) {
    new WebhookDeliveries(built.meters());
    // Free and total bytes of the data directory's file system (the DiskNearlyFull alert); one path, one series.
    new DiskSpaceMetrics(config.node().dataDir().toFile()).bindTo(built.meters());
    PaymentStore payments = services.hasPostgres()
        ? new PaymentStore(services.pool(), EventPublisher.create(config)) : null;
    gauges = payments == null && relay == null ? null
        : new StateGauges(built.vertx(), built.meters(), payments, relay);
    feed = new ConsoleFeed(built.vertx(), nodeId, built.meters(), () -> members(nodeId, config, built), gauges,
        relay);
    boolean verifiesUsers = config.node().roles().contains(LedgerlineConfig.Role.GATEWAY);
    ConsoleAccess access = new ConsoleAccess(auth.required(),
        header -> auth.check(header) == ManagementAuth.Verdict.VALID, verifiesUsers ? userTokens(gateway) : null);
    management.mount(new ConsoleRoutes(access, feed, ListenerAddress::isLoopback)::mount);
  }

  void start() {
    if (gauges != null) gauges.start();
    feed.start();
  }

  Future<Void> stop() {
    if (gauges != null) gauges.stop();
    return feed.stop();
  }

  /**
   * A user token as the gateway would take it (signature, expiry, audience, then revocation, failing closed when it
   * cannot be checked): an operator's or admin's opens the console.
   */
  private static Function<String, Future<ConsoleAccess.TokenRole>> userTokens(Supplier<GatewayComponents> gateway) {
    return token -> {
      GatewayComponents g = gateway.get();
      if (g == null) {
        return Future.succeededFuture(ConsoleAccess.TokenRole.INVALID);
      }
      return g.authenticator().authenticate(token).compose(p -> RevocationCheck.verdict(g.revocations(),
              g.readsWhenUnavailable(), true, p)
          .map(v -> v != RevocationCheck.Verdict.ACCEPT ? ConsoleAccess.TokenRole.INVALID
              : p.has(Role.OPERATOR) || p.has(Role.ADMIN) ? ConsoleAccess.TokenRole.OPERATOR
              : ConsoleAccess.TokenRole.OTHER))
          .otherwise(ConsoleAccess.TokenRole.INVALID);
    };
  }

  /** The cluster's members with their roles, from the Hazelcast member attributes each node sets at start. */
  static JsonArray members(String nodeId, LedgerlineConfig config, NodeVertx.Built built) {
    JsonArray out = new JsonArray();
    if (built.hazelcast() == null) {
      return out.add(member(nodeId, config.node().roles().stream().map(LedgerlineConfig.Role::id).toList(), true));
    }
    for (Member m : built.hazelcast().getCluster().getMembers()) {
      String roles = m.getAttribute(NodeVertx.MEMBER_ROLES);
      String id = m.getAttribute(NodeVertx.MEMBER_ID);
      out.add(member(id == null ? "unknown" : id,
          roles == null || roles.isEmpty() ? List.of() : Arrays.asList(roles.split(",")), m.localMember()));
    }
    return out;
  }

  private static JsonObject member(String id, List<String> roles, boolean self) {
    return new JsonObject().put("id", id).put("roles", new JsonArray(roles)).put("self", self);
  }
}
