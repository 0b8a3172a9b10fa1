package dev.ledgerline.node;

import io.vertx.core.eventbus.EventBus;

/** Registers every domain's event-bus codecs; runs on every node, sender and receiver alike. */
public final class Codecs {
  private Codecs() {}

  public static void registerAll(EventBus bus) {
    NodeApi.registerCodecs(bus);
    dev.ledgerline.ledger.LedgerApi.registerCodecs(bus);
  }
}
