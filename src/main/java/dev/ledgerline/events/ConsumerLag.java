package dev.ledgerline.events;

import java.time.Duration;

/**
 * How far one consumer is behind the outbox: committed events not yet delivered, the age of the oldest, and how many
 * of its events are parked in {@code events_dead}.
 */
public record ConsumerLag(String consumer, long events, Duration oldest, long parked) {}
