package dev.ledgerline.ledger.model;

/** One failed event of a {@code create_accounts} batch: its index in the batch and its result (never ok). */
public record CreateAccountsResult(int index, CreateAccountResult result) implements EventResult {}
