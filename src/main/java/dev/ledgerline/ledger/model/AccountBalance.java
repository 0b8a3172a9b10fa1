package dev.ledgerline.ledger.model;

/** An account's balances right after the transfer with {@code timestamp} (accounts with the history flag). */
public record AccountBalance(
    UInt128 debitsPending,
    UInt128 debitsPosted,
    UInt128 creditsPending,
    UInt128 creditsPosted,
    long timestamp) {}
