package dev.ledgerline.transactions;

import dev.ledgerline.config.LedgerlineConfig.Role;
import dev.ledgerline.roles.NodeContext;
import dev.ledgerline.roles.RoleVerticle;

/** The transactions role: a room with its health check; payment sagas move in with their own issue. */
public final class TransactionsVerticle extends RoleVerticle {
  public TransactionsVerticle(NodeContext node) {
    super(node);
  }

  @Override
  public Role role() {
    return Role.TRANSACTIONS;
  }
}
