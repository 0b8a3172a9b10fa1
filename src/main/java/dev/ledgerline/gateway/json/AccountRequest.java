package dev.ledgerline.gateway.json;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.UInt128;
import java.util.Objects;
import java.util.function.Supplier;

/** An account to create, as a client sent it after strict parsing. {@code id} is null when the client sent none. */
public record AccountRequest(UInt128 id, UInt128 userData128, long userData64, int userData32, int ledger, int code,
    int flags) {

  public AccountRequest {
    Objects.requireNonNull(userData128, "userData128");
  }

  public boolean hasId() {
    return id != null;
  }

  /** The ledger record with zero balances: the client's id, or one from {@code newId}. */
  public Account toAccount(Supplier<UInt128> newId) {
    return Account.of(id != null ? id : newId.get(), ledger, code, flags)
        .withUserData(userData128, userData64, userData32);
  }
}
