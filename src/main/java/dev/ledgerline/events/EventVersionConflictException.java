package dev.ledgerline.events;

import dev.ledgerline.ledger.model.UInt128;

/** Another event already holds this (aggregate, version): reload the aggregate and retry (HTTP 409 where exposed). */
public final class EventVersionConflictException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient UInt128 aggregateId;
  private final long version;

  public EventVersionConflictException(UInt128 aggregateId, long version) {
    super("aggregate " + aggregateId + " already has a different event at version " + version);
    this.aggregateId = aggregateId;
    this.version = version;
  }

  public UInt128 aggregateId() {
    return aggregateId;
  }

  public long version() {
    return version;
  }
}
