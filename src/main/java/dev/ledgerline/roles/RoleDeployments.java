package dev.ledgerline.roles;

import dev.ledgerline.config.LedgerlineConfig.Role;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's roles on Vert.x: deploys one verticle per configured role (the gateway last, one instance per event loop),
 * reports each role's health and undeploys them (the gateway first). The verticles come from the node's factory.
 */
public final class RoleDeployments {
  private static final Logger LOG = LoggerFactory.getLogger(RoleDeployments.class);

  /** Builds the verticle of one role; called once per instance. */
  @FunctionalInterface
  public interface Factory {
    RoleVerticle create(Role role, NodeContext ctx);
  }

  private record RoleDeployment(String id, List<RoleVerticle> instances) {}

  private final Vertx vertx;
  /** Deployed roles in deployment order, each with the instances Vert.x created. */
  private final Map<Role, RoleDeployment> deployments = new LinkedHashMap<>();

  public RoleDeployments(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Deploys in configuration order, the gateway last so nothing is accepted before it can be served. The gateway
   * runs one instance per event loop (HTTP servers on one port share the load); the other roles one instance.
   * {@code prepare} runs once before a role's instances are deployed (e.g. to build what they share); a failure stops
   * the deployment. {@code describeFailure} may replace a role's deployment failure with one that names its cause.
   */
  public Future<Void> deployAll(NodeContext ctx, Function<Role, Future<?>> prepare, Factory factory,
      BiFunction<Role, Throwable, Throwable> describeFailure) {
    Future<Void> chain = Future.succeededFuture();
    List<Role> ordered = new ArrayList<>(ctx.config().node().roles());
    ordered.sort((a, b) -> Boolean.compare(a == Role.GATEWAY, b == Role.GATEWAY));
    for (Role role : ordered) {
      int instances = role == Role.GATEWAY ? ctx.config().gateway().instances() : 1;
      List<RoleVerticle> created = new CopyOnWriteArrayList<>();
      chain = chain.compose(x -> prepare.apply(role)).compose(x -> vertx.deployVerticle(() -> {
        RoleVerticle v = factory.create(role, ctx);
        created.add(v);
        return v;
      }, new DeploymentOptions().setInstances(instances))
          .recover(err -> Future.failedFuture(describeFailure.apply(role, err))).map(id -> {
            deployments.put(role, new RoleDeployment(id, created));
            LOG.info("role {} deployed ({} instance{})", role.id(), instances, instances == 1 ? "" : "s");
            return (Void) null;
          }));
    }
    return chain;
  }

  /** The role's health: every instance's own checks, with its deployment id and instance count. */
  public Future<JsonObject> health(Role role) {
    RoleDeployment d = deployments.get(role);
    if (d == null) {
      return Future.failedFuture("not deployed");
    }
    List<Future<JsonObject>> checks = d.instances().stream().map(RoleVerticle::health).toList();
    return Future.all(checks).map(all -> {
      JsonObject data = new JsonObject().put("deployment", d.id()).put("instances", d.instances().size());
      checks.forEach(c -> data.mergeIn(c.result() == null ? new JsonObject() : c.result()));
      return data;
    });
  }

  /** After {@code chain}, undeploys every role, the gateway first; a failed undeployment is logged, not returned. */
  public Future<Void> undeployAfter(Future<Void> chain) {
    List<Map.Entry<Role, RoleDeployment>> order = new ArrayList<>(deployments.entrySet());
    order.sort((a, b) -> Boolean.compare(b.getKey() == Role.GATEWAY, a.getKey() == Role.GATEWAY));
    for (Map.Entry<Role, RoleDeployment> d : order) {
      chain = chain.eventually(() -> vertx.undeploy(d.getValue().id())
          .onFailure(e -> LOG.warn("undeploying role {} failed: {}", d.getKey().id(), e.getMessage())));
    }
    return chain;
  }
}
