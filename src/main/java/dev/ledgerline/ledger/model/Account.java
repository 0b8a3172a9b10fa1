package dev.ledgerline.ledger.model;

import java.util.Objects;

/**
 * A ledger account: TigerBeetle's 128-byte {@code Account}. u128 fields are {@link UInt128}; u64 fields are longs
 * and u32/u16 fields are ints, all read as unsigned. Balances and timestamp are set by the ledger.
 */
public record Account(
    UInt128 id,
    UInt128 debitsPending,
    UInt128 debitsPosted,
    UInt128 creditsPending,
    UInt128 creditsPosted,
    UInt128 userData128,
    long userData64,
    int userData32,
    int reserved,
    int ledger,
    int code,
    int flags,
    long timestamp) implements Event {

  public Account {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(debitsPending, "debitsPending");
    Objects.requireNonNull(debitsPosted, "debitsPosted");
    Objects.requireNonNull(creditsPending, "creditsPending");
    Objects.requireNonNull(creditsPosted, "creditsPosted");
    Objects.requireNonNull(userData128, "userData128");
    if ((code & ~0xFFFF) != 0) throw new IllegalArgumentException("code is a u16: " + code);
    if ((flags & ~0xFFFF) != 0) throw new IllegalArgumentException("flags is a u16: " + flags);
  }

  /** A new account to create: zero balances, no user data, no timestamp. */
  public static Account of(UInt128 id, int ledger, int code, int flags) {
    return new Account(id, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, 0, 0, 0, ledger,
        code, flags, 0);
  }

  public boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }

  public boolean closed() {
    return hasFlag(AccountFlags.CLOSED);
  }

  public Account withUserData(UInt128 userData128, long userData64, int userData32) {
    return new Account(id, debitsPending, debitsPosted, creditsPending, creditsPosted, userData128, userData64,
        userData32, reserved, ledger, code, flags, timestamp);
  }

  public Account withTimestamp(long timestamp) {
    return new Account(id, debitsPending, debitsPosted, creditsPending, creditsPosted, userData128, userData64,
        userData32, reserved, ledger, code, flags, timestamp);
  }
}
