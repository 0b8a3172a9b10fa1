package dev.ledgerline.ledger.model;

/** One failed event of a {@code create_transfers} batch: its index in the batch and its result (never ok). */
public record CreateTransfersResult(int index, CreateTransferResult result) implements EventResult {}
