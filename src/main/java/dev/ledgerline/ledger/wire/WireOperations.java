package dev.ledgerline.ledger.wire;

/**
 * The state machine's operations a client may request (TigerBeetle 0.16.30's {@code StateMachine.Operation}) and
 * {@code input_valid}: how large a request body of each may be.
 */
final class WireOperations {
  static final int CREATE_ACCOUNTS = 129;
  static final int CREATE_TRANSFERS = 130;
  static final int LOOKUP_ACCOUNTS = 131;
  static final int LOOKUP_TRANSFERS = 132;
  static final int GET_ACCOUNT_TRANSFERS = 133;
  static final int GET_ACCOUNT_BALANCES = 134;
  static final int QUERY_ACCOUNTS = 135;
  static final int QUERY_TRANSFERS = 136;

  private static final int RECORD_SIZE = 128;
  private static final int ID_SIZE = 16;
  private static final int CREATE_RESULT_SIZE = 8;
  private static final int ACCOUNT_FILTER_SIZE = 128;
  private static final int QUERY_FILTER_SIZE = 64;

  private WireOperations() {}

  /**
   * Whether a client may request {@code operation} here. {@code pulse} comes only from the replica itself and
   * {@code get_events} needs the change-event index, which the embedded engine does not keep.
   */
  static boolean served(int operation) {
    return operation >= CREATE_ACCOUNTS && operation <= QUERY_TRANSFERS;
  }

  /** {@code input_valid} for a served operation, with the session's {@code batch_size_limit}. */
  static boolean inputValid(int operation, int bodyLength, int batchSizeLimit) {
    return switch (operation) {
      case GET_ACCOUNT_TRANSFERS, GET_ACCOUNT_BALANCES -> bodyLength == ACCOUNT_FILTER_SIZE;
      case QUERY_ACCOUNTS, QUERY_TRANSFERS -> bodyLength == QUERY_FILTER_SIZE;
      case CREATE_ACCOUNTS, CREATE_TRANSFERS -> batch(bodyLength, RECORD_SIZE, CREATE_RESULT_SIZE, batchSizeLimit);
      case LOOKUP_ACCOUNTS, LOOKUP_TRANSFERS -> batch(bodyLength, ID_SIZE, RECORD_SIZE, batchSizeLimit);
      default -> false;
    };
  }

  /** {@code operation_batch_max}: bounded by the request's limit and by the results fitting one reply. */
  private static boolean batch(int bodyLength, int eventSize, int resultSize, int batchSizeLimit) {
    long max = Math.min(batchSizeLimit / eventSize, WireHeader.BODY_SIZE_MAX / resultSize);
    return bodyLength % eventSize == 0 && bodyLength <= max * eventSize;
  }
}
