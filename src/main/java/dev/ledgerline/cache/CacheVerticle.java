package dev.ledgerline.cache;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;

/** The cache role: a room with its health check; the cache layers move in with their own issue. */
public final class CacheVerticle extends RoleVerticle {
  public CacheVerticle(NodeContext node) {
    super(node);
  }

  @Override
  public Role role() {
    return Role.CACHE;
  }
}
