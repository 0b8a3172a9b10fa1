package dev.ledgerline.ledger.model;

import java.nio.ByteBuffer;

/**
 * The ids of the platform's own ledger objects (the payment saga's system accounts and transfers, the event store's
 * accounts and transfers) carry {@link #TAG} in their top 32 bits, and the public API refuses a client's id that does.
 * Ledger ids are global and first come, first served, and the derivations are public: without the tag, any caller
 * could create an object under an id the platform will derive, before the platform does, and so own it or block it.
 */
public final class ReservedIds {
  /** "LEDG". Time-based ids (milliseconds in the top 48 bits) reach it in about 2,600 years; a random id has it once
   * in 2^32. */
  public static final long TAG = 0x4C45_4447L;

  private ReservedIds() {}

  public static boolean reserved(UInt128 id) {
    return id.hi() >>> 32 == TAG;
  }

  /** {@code id}, or for an id in the range, the id one bit away outside it: for ids derived for clients. */
  public static UInt128 outside(UInt128 id) {
    return reserved(id) ? UInt128.of(id.lo(), id.hi() ^ 1L << 32) : id;
  }

  /** The platform's id from a SHA-256 digest: its first 96 bits under the tag (never 0 nor 2^128-1). */
  public static UInt128 fromDigest(byte[] sha256) {
    ByteBuffer d = ByteBuffer.wrap(sha256);
    long hi = TAG << 32 | d.getInt(0) & 0xFFFF_FFFFL;
    return UInt128.of(d.getLong(4), hi);
  }
}
