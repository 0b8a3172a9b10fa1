package dev.ledgerline.transactions.saga;

/** What an operator decides for a payment in {@code needs_attention}. */
public enum ResolveAction {
  /** Run the failed compensation again (the cause has been fixed). */
  RETRY,
  /** The operator has undone the step by hand: count the compensation as done, with the operator's reason. */
  MARK_RESOLVED
}
