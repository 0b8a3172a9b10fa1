package dev.ledgerline.events;

import dev.ledgerline.ledger.model.ReservedIds;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The event store's ledger ids, derived (SHA-256, 96 bits under {@link ReservedIds#TAG}) from what they stand for, so
 * every writer and a repair compute the same ones: an aggregate's event-log account, the ledger's sink account, and the
 * transfer of (aggregate, version). Deriving the transfer id is what turns a second writer of a version into
 * {@code exists}.
 */
public final class LedgerEventIds {
  private LedgerEventIds() {}

  public static UInt128 logAccount(int ledger, UInt128 aggregateId) {
    return hash("ledgerline.events.log", ledger, aggregateId, 0);
  }

  public static UInt128 sinkAccount(int ledger) {
    return hash("ledgerline.events.sink", ledger, UInt128.ZERO, 0);
  }

  public static UInt128 transfer(int ledger, UInt128 aggregateId, long version) {
    return hash("ledgerline.events.transfer", ledger, aggregateId, version);
  }

  private static UInt128 hash(String domain, int ledger, UInt128 aggregateId, long version) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update(domain.getBytes(StandardCharsets.US_ASCII));
    sha.update(ByteBuffer.allocate(4 + 16 + 8).putInt(ledger).putLong(aggregateId.hi()).putLong(aggregateId.lo())
        .putLong(version).array());
    return ReservedIds.fromDigest(sha.digest());
  }
}
