package dev.ledgerline.events;

import java.time.Duration;

/** How far one consumer is behind the outbox: committed events not yet delivered, and the age of the oldest. */
public record ConsumerLag(String consumer, long events, Duration oldest) {}
