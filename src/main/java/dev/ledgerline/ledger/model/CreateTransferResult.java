package dev.ledgerline.ledger.model;

/**
 * Result of one event of create_transfers, with TigerBeetle 0.16.30's names and numeric codes. Constants are declared in
 * TigerBeetle's order of descending precedence; {@link #code()} is the wire value.
 */
public enum CreateTransferResult implements ResultCode {
  OK(0, "ok"),
  LINKED_EVENT_FAILED(1, "linked_event_failed"),
  LINKED_EVENT_CHAIN_OPEN(2, "linked_event_chain_open"),
  IMPORTED_EVENT_EXPECTED(56, "imported_event_expected"),
  IMPORTED_EVENT_NOT_EXPECTED(57, "imported_event_not_expected"),
  TIMESTAMP_MUST_BE_ZERO(3, "timestamp_must_be_zero"),
  IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE(58, "imported_event_timestamp_out_of_range"),
  IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE(59, "imported_event_timestamp_must_not_advance"),
  RESERVED_FLAG(4, "reserved_flag"),
  ID_MUST_NOT_BE_ZERO(5, "id_must_not_be_zero"),
  ID_MUST_NOT_BE_INT_MAX(6, "id_must_not_be_int_max"),
  EXISTS_WITH_DIFFERENT_FLAGS(36, "exists_with_different_flags"),
  EXISTS_WITH_DIFFERENT_PENDING_ID(40, "exists_with_different_pending_id"),
  EXISTS_WITH_DIFFERENT_TIMEOUT(44, "exists_with_different_timeout"),
  EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID(37, "exists_with_different_debit_account_id"),
  EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID(38, "exists_with_different_credit_account_id"),
  EXISTS_WITH_DIFFERENT_AMOUNT(39, "exists_with_different_amount"),
  EXISTS_WITH_DIFFERENT_USER_DATA_128(41, "exists_with_different_user_data_128"),
  EXISTS_WITH_DIFFERENT_USER_DATA_64(42, "exists_with_different_user_data_64"),
  EXISTS_WITH_DIFFERENT_USER_DATA_32(43, "exists_with_different_user_data_32"),
  EXISTS_WITH_DIFFERENT_LEDGER(67, "exists_with_different_ledger"),
  EXISTS_WITH_DIFFERENT_CODE(45, "exists_with_different_code"),
  EXISTS(46, "exists"),
  ID_ALREADY_FAILED(68, "id_already_failed"),
  FLAGS_ARE_MUTUALLY_EXCLUSIVE(7, "flags_are_mutually_exclusive"),
  DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO(8, "debit_account_id_must_not_be_zero"),
  DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX(9, "debit_account_id_must_not_be_int_max"),
  CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO(10, "credit_account_id_must_not_be_zero"),
  CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX(11, "credit_account_id_must_not_be_int_max"),
  ACCOUNTS_MUST_BE_DIFFERENT(12, "accounts_must_be_different"),
  PENDING_ID_MUST_BE_ZERO(13, "pending_id_must_be_zero"),
  PENDING_ID_MUST_NOT_BE_ZERO(14, "pending_id_must_not_be_zero"),
  PENDING_ID_MUST_NOT_BE_INT_MAX(15, "pending_id_must_not_be_int_max"),
  PENDING_ID_MUST_BE_DIFFERENT(16, "pending_id_must_be_different"),
  TIMEOUT_RESERVED_FOR_PENDING_TRANSFER(17, "timeout_reserved_for_pending_transfer"),
  CLOSING_TRANSFER_MUST_BE_PENDING(64, "closing_transfer_must_be_pending"),
  AMOUNT_MUST_NOT_BE_ZERO(18, "amount_must_not_be_zero"),
  LEDGER_MUST_NOT_BE_ZERO(19, "ledger_must_not_be_zero"),
  CODE_MUST_NOT_BE_ZERO(20, "code_must_not_be_zero"),
  DEBIT_ACCOUNT_NOT_FOUND(21, "debit_account_not_found"),
  CREDIT_ACCOUNT_NOT_FOUND(22, "credit_account_not_found"),
  ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER(23, "accounts_must_have_the_same_ledger"),
  TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS(24, "transfer_must_have_the_same_ledger_as_accounts"),
  PENDING_TRANSFER_NOT_FOUND(25, "pending_transfer_not_found"),
  PENDING_TRANSFER_NOT_PENDING(26, "pending_transfer_not_pending"),
  PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID(27, "pending_transfer_has_different_debit_account_id"),
  PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID(28, "pending_transfer_has_different_credit_account_id"),
  PENDING_TRANSFER_HAS_DIFFERENT_LEDGER(29, "pending_transfer_has_different_ledger"),
  PENDING_TRANSFER_HAS_DIFFERENT_CODE(30, "pending_transfer_has_different_code"),
  EXCEEDS_PENDING_TRANSFER_AMOUNT(31, "exceeds_pending_transfer_amount"),
  PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT(32, "pending_transfer_has_different_amount"),
  PENDING_TRANSFER_ALREADY_POSTED(33, "pending_transfer_already_posted"),
  PENDING_TRANSFER_ALREADY_VOIDED(34, "pending_transfer_already_voided"),
  PENDING_TRANSFER_EXPIRED(35, "pending_transfer_expired"),
  IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS(60, "imported_event_timestamp_must_not_regress"),
  IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_DEBIT_ACCOUNT(61, "imported_event_timestamp_must_postdate_debit_account"),
  IMPORTED_EVENT_TIMESTAMP_MUST_POSTDATE_CREDIT_ACCOUNT(62, "imported_event_timestamp_must_postdate_credit_account"),
  IMPORTED_EVENT_TIMEOUT_MUST_BE_ZERO(63, "imported_event_timeout_must_be_zero"),
  DEBIT_ACCOUNT_ALREADY_CLOSED(65, "debit_account_already_closed"),
  CREDIT_ACCOUNT_ALREADY_CLOSED(66, "credit_account_already_closed"),
  OVERFLOWS_DEBITS_PENDING(47, "overflows_debits_pending"),
  OVERFLOWS_CREDITS_PENDING(48, "overflows_credits_pending"),
  OVERFLOWS_DEBITS_POSTED(49, "overflows_debits_posted"),
  OVERFLOWS_CREDITS_POSTED(50, "overflows_credits_posted"),
  OVERFLOWS_DEBITS(51, "overflows_debits"),
  OVERFLOWS_CREDITS(52, "overflows_credits"),
  OVERFLOWS_TIMEOUT(53, "overflows_timeout"),
  EXCEEDS_CREDITS(54, "exceeds_credits"),
  EXCEEDS_DEBITS(55, "exceeds_debits");

  private static final Table<CreateTransferResult> TABLE = new Table<>(values());

  private final int code;
  private final String tbName;

  CreateTransferResult(int code, String tbName) {
    this.code = code;
    this.tbName = tbName;
  }

  @Override
  public int code() {
    return code;
  }

  @Override
  public String tbName() {
    return tbName;
  }

  /** Transient results record the id permanently: a later transfer with it gets {@code id_already_failed}. */
  public boolean isTransient() {
    return switch (this) {
      case DEBIT_ACCOUNT_NOT_FOUND, CREDIT_ACCOUNT_NOT_FOUND, PENDING_TRANSFER_NOT_FOUND, EXCEEDS_CREDITS,
          EXCEEDS_DEBITS, DEBIT_ACCOUNT_ALREADY_CLOSED, CREDIT_ACCOUNT_ALREADY_CLOSED -> true;
      default -> false;
    };
  }

  public static CreateTransferResult fromCode(int code) {
    return TABLE.fromCode(code);
  }

  public static CreateTransferResult fromName(String tbName) {
    return TABLE.fromName(tbName);
  }

  @Override
  public String toString() {
    return tbName;
  }
}
