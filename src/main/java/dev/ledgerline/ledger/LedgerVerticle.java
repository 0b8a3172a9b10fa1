package dev.ledgerline.ledger;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.node.NodeContext;
import dev.ledgerline.node.RoleVerticle;

/** The ledger role: a room with its health check; the batching ledger verticle moves in with its own issue. */
public final class LedgerVerticle extends RoleVerticle {
  public LedgerVerticle(NodeContext node) {
    super(node);
  }

  @Override
  public Role role() {
    return Role.LEDGER;
  }
}
