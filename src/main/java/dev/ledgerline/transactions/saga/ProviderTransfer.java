package dev.ledgerline.transactions.saga;

/**
 * The provider's transfer as the saga sees it: the provider's reference, its own status word (kept for display) and
 * what that status means for the saga, which the provider layer decides.
 */
public record ProviderTransfer(String reference, String status, Outcome outcome, String failureReason) {
  public enum Outcome {
    /** Created, not settled yet: keep waiting (signal or poll). */
    PENDING,
    /** The money moved: the saga commits, and cancel is no longer allowed. */
    SUCCEEDED,
    /** Failed, cancelled or returned: the saga compensates. */
    FAILED;

    /**
     * What a Plaid transfer status means for the saga. {@code posted} is only submitted to the network, so the saga
     * waits for {@code settled} (or {@code funds_available}) before it commits; an unknown status keeps it waiting.
     */
    public static Outcome ofPlaid(String status) {
      return switch (status == null ? "" : status) {
        case "settled", "funds_available" -> SUCCEEDED;
        case "failed", "cancelled", "returned" -> FAILED;
        default -> PENDING;
      };
    }
  }
}
