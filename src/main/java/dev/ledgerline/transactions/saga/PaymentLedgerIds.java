package dev.ledgerline.transactions.saga;

import dev.ledgerline.ledger.model.ReservedIds;
import dev.ledgerline.ledger.model.UInt128;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The saga's ledger ids, derived (SHA-256, 96 bits under {@link ReservedIds#TAG}, which the public API refuses) from
 * the payment id and the step, and the system accounts' ids from the ledger and the provider's name. Every run of a
 * payment's saga, and a re-drive after a restart, writes the same ids, which the ledger answers with {@code exists}
 * instead of moving money twice.
 */
public final class PaymentLedgerIds {
  public static final String RESERVE = "reserve-funds";
  public static final String PENDING = "create-pending";
  public static final String COMMIT_RESERVE = "commit-reserve";
  public static final String COMMIT_PENDING = "commit-pending";
  public static final String VOID_RESERVE = "void-reserve";
  public static final String VOID_PENDING = "void-pending";
  public static final String REVERSE_PROVIDER = "reverse-provider";
  public static final String REVERSE_PAYER = "reverse-payer";

  /** Every transfer a payment may write, in the order the saga writes them. */
  public static final String[] STEPS = {RESERVE, PENDING, COMMIT_RESERVE, COMMIT_PENDING, VOID_RESERVE, VOID_PENDING,
      REVERSE_PROVIDER, REVERSE_PAYER};

  /** Account codes of the system accounts, so a query by code finds them. */
  public static final int CLEARING_CODE = 900;
  public static final int PROVIDER_CODE = 901;

  /** The providers a payment may name (the API refuses others), so their settlement accounts are known. */
  public static final List<String> PROVIDERS = List.of("plaid");

  private PaymentLedgerIds() {}

  public static UInt128 transfer(String paymentId, String step) {
    return hash("ledgerline.payments.transfer", paymentId, step);
  }

  /** Tags every transfer of a payment ({@code user_data_128}), so the ledger can list them. */
  public static UInt128 paymentTag(String paymentId) {
    return hash("ledgerline.payments.payment", paymentId, "");
  }

  /** The ledger's clearing account: holds payers' money between the reservation and the commit. */
  public static UInt128 clearingAccount(int ledger) {
    return hash("ledgerline.payments.clearing", Integer.toString(ledger), "");
  }

  /** The provider's settlement account {@code provider:<name>} on a ledger. */
  public static UInt128 providerAccount(int ledger, String provider) {
    return hash("ledgerline.payments.provider", Integer.toString(ledger), provider);
  }

  private static UInt128 hash(String domain, String a, String b) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (String part : new String[] {domain, a, b}) {
      byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
      sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
      sha.update(bytes);
    }
    return ReservedIds.fromDigest(sha.digest());
  }
}
