package dev.ledgerline.ledger.model;

import java.util.Objects;

/**
 * A transfer: TigerBeetle's 128-byte {@code Transfer}. u128 fields are {@link UInt128}; u64 fields are longs and
 * u32/u16 fields are ints, all read as unsigned. {@code timeout} is in seconds (u32).
 */
public record Transfer(
    UInt128 id,
    UInt128 debitAccountId,
    UInt128 creditAccountId,
    UInt128 amount,
    UInt128 pendingId,
    UInt128 userData128,
    long userData64,
    int userData32,
    int timeout,
    int ledger,
    int code,
    int flags,
    long timestamp) implements Event {

  public Transfer {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(debitAccountId, "debitAccountId");
    Objects.requireNonNull(creditAccountId, "creditAccountId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(pendingId, "pendingId");
    Objects.requireNonNull(userData128, "userData128");
    if ((code & ~0xFFFF) != 0) throw new IllegalArgumentException("code is a u16: " + code);
    if ((flags & ~0xFFFF) != 0) throw new IllegalArgumentException("flags is a u16: " + flags);
  }

  /** A single-phase transfer with no user data. */
  public static Transfer of(UInt128 id, UInt128 debitAccountId, UInt128 creditAccountId, UInt128 amount, int ledger,
      int code, int flags) {
    return new Transfer(id, debitAccountId, creditAccountId, amount, UInt128.ZERO, UInt128.ZERO, 0, 0, 0, ledger, code,
        flags, 0);
  }

  public boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }

  public Transfer withPending(UInt128 pendingId, int timeout) {
    return new Transfer(id, debitAccountId, creditAccountId, amount, pendingId, userData128, userData64, userData32,
        timeout, ledger, code, flags, timestamp);
  }

  public Transfer withUserData(UInt128 userData128, long userData64, int userData32) {
    return new Transfer(id, debitAccountId, creditAccountId, amount, pendingId, userData128, userData64, userData32,
        timeout, ledger, code, flags, timestamp);
  }

  public Transfer withTimestamp(long timestamp) {
    return new Transfer(id, debitAccountId, creditAccountId, amount, pendingId, userData128, userData64, userData32,
        timeout, ledger, code, flags, timestamp);
  }

  public Transfer withFlags(int flags) {
    return new Transfer(id, debitAccountId, creditAccountId, amount, pendingId, userData128, userData64, userData32,
        timeout, ledger, code, flags, timestamp);
  }
}
