package dev.ledgerline.ledger.model;

/** One failed event of a create batch: its index in the batch and its result (never ok). */
public interface EventResult {
  int index();

  ResultCode result();
}
