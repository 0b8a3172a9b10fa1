package dev.ledgerline.gateway.json;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A transfer as a client sent it, after strict parsing. {@code id} is null when the client sent none (the gateway then
 * generates one); fields the client left out are zero, as in TigerBeetle. {@code timeout} is in seconds.
 */
public record TransferRequest(
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
    int flags) {

  public TransferRequest {
    Objects.requireNonNull(debitAccountId, "debitAccountId");
    Objects.requireNonNull(creditAccountId, "creditAccountId");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(pendingId, "pendingId");
    Objects.requireNonNull(userData128, "userData128");
  }

  public boolean hasId() {
    return id != null;
  }

  /** True for a post or void of a pending transfer (its missing fields are taken from the pending transfer). */
  public boolean resolvesPending() {
    return (flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)) != 0;
  }

  /** The ledger record: the client's id, or one from {@code newId} when it sent none. Timestamp is the ledger's. */
  public Transfer toTransfer(Supplier<UInt128> newId) {
    return new Transfer(id != null ? id : newId.get(), debitAccountId, creditAccountId, amount, pendingId,
        userData128, userData64, userData32, timeout, ledger, code, flags, 0);
  }
}
