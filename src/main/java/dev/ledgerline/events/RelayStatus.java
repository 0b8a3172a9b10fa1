package dev.ledgerline.events;

import java.util.List;

/**
 * The relay as /health/ready shows it: {@code active} when this node delivers, {@code clusterActive} when some node
 * (this one or another) holds the relay lock, and each consumer's lag.
 */
public record RelayStatus(boolean active, boolean clusterActive, List<ConsumerLag> consumers) {}
