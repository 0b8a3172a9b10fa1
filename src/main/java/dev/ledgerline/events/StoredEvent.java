package dev.ledgerline.events;

import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonObject;

/**
 * An event of the ledger event store.
 *
 * @param ledgerTimestamp the ledger's own commit timestamp of the event's transfer (never a caller's clock)
 */
public record StoredEvent(UInt128 aggregateId, long version, String type, JsonObject payload, long ledgerTimestamp,
    UInt128 transferId) {}
