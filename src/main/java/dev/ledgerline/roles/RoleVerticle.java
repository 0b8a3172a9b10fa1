package dev.ledgerline.roles;

import dev.ledgerline.config.LedgerlineConfig.Role;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** A verticle that fills one role of a node; it reports its own health for {@code /health/ready}. */
public abstract class RoleVerticle extends VerticleBase {
  protected final NodeContext node;
  private volatile boolean running;

  protected RoleVerticle(NodeContext node) {
    this.node = node;
  }

  public abstract Role role();

  @Override
  public final Future<?> start() {
    return startRole().onSuccess(v -> running = true);
  }

  @Override
  public final Future<?> stop() {
    running = false;
    return stopRole();
  }

  protected Future<?> startRole() {
    return Future.succeededFuture();
  }

  protected Future<?> stopRole() {
    return Future.succeededFuture();
  }

  /** Health of this role: UP while deployed; roles with dependencies add their own checks. */
  public Future<JsonObject> health() {
    return running ? Future.succeededFuture(new JsonObject()) : Future.failedFuture("not running");
  }
}
