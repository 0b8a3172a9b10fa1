package dev.ledgerline.cache;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;

/**
 * The cache role: a room with its health check. The balance cache ({@link BalanceCache} over {@link MultiLayerCache})
 * is built once per node by the gateway's components, which serve it; its state shows in the {@code cache} check of
 * {@code /health/ready}.
 */
public final class CacheVerticle extends RoleVerticle {
  public CacheVerticle(NodeContext node) {
    super(node);
  }

  @Override
  public Role role() {
    return Role.CACHE;
  }
}
