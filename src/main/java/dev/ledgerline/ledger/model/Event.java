package dev.ledgerline.ledger.model;

/** An event of a create batch ({@link Account}, {@link Transfer}): what batching needs to know of it. */
public interface Event {
  UInt128 id();

  int flags();
}
