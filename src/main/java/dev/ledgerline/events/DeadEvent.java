package dev.ledgerline.events;

import java.time.Instant;

/** An event a consumer failed on {@code events.max-attempts} times (or that waits behind such an event). */
public record DeadEvent(long id, String consumer, Event event, int attempts, String error, Instant parkedAt) {}
