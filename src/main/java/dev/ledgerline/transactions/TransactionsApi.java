package dev.ledgerline.transactions;

import java.util.regex.Pattern;

/** The transactions domain's names: its Temporal task queue, workflow ids and event-bus addresses. */
public final class TransactionsApi {
  /** The task queue the payment workflows and their activities run on (the seed's name). */
  public static final String TASK_QUEUE = "transaction-processing";
  /**
   * Asks a transactions node to start a payment's workflow; the body is the payment id. The reply is
   * {@link #STARTED} or {@link #ALREADY_STARTED}; a failure means nothing is known to have started.
   */
  public static final String START_PAYMENT = "transactions.payments.start";
  public static final String STARTED = "started";
  /** Signals a payment's workflow to cancel; the body is the payment id. The reply is {@link #SIGNALLED}. */
  public static final String CANCEL_PAYMENT = "transactions.payments.cancel";
  /**
   * Signals an operator's resolve; the body is {@code {"id","action":"retry|mark_resolved","reason"}}. The reply is
   * {@link #SIGNALLED}; a failure means the workflow could not be signalled (not running).
   */
  public static final String RESOLVE_PAYMENT = "transactions.payments.resolve";
  public static final String SIGNALLED = "signalled";
  /**
   * Sent (point to point) when the provider's verified webhook says transfer events are waiting: the receiving
   * transactions node syncs them from its cursor and signals the payments' workflows. The body is
   * {@code {"webhook_code","environment"}}; nothing in it is trusted beyond "look now".
   */
  public static final String PROVIDER_TRANSFER_EVENTS = "transactions.provider.transfer-events";
  public static final String ALREADY_STARTED = "already-started";

  /** A payment or transaction id as events carry it: it becomes part of a workflow id and a cache key. */
  static final Pattern ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$");

  private TransactionsApi() {}

  /** The payment's workflow id: one per payment, so a second start of the same payment is refused by Temporal. */
  public static String workflowId(String paymentId) {
    return "transaction-" + paymentId;
  }

  /** The Redis key of a transaction's cached snapshot. */
  public static String cacheKey(String transactionId) {
    return "transaction:" + transactionId;
  }
}
