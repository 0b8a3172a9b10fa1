package dev.ledgerline.ledger.model;

/**
 * Result of one event of create_accounts, with TigerBeetle 0.16.30's names and numeric codes. Constants are declared in
 * TigerBeetle's order of descending precedence; {@link #code()} is the wire value.
 */
public enum CreateAccountResult implements ResultCode {
  OK(0, "ok"),
  LINKED_EVENT_FAILED(1, "linked_event_failed"),
  LINKED_EVENT_CHAIN_OPEN(2, "linked_event_chain_open"),
  IMPORTED_EVENT_EXPECTED(22, "imported_event_expected"),
  IMPORTED_EVENT_NOT_EXPECTED(23, "imported_event_not_expected"),
  TIMESTAMP_MUST_BE_ZERO(3, "timestamp_must_be_zero"),
  IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE(24, "imported_event_timestamp_out_of_range"),
  IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE(25, "imported_event_timestamp_must_not_advance"),
  RESERVED_FIELD(4, "reserved_field"),
  RESERVED_FLAG(5, "reserved_flag"),
  ID_MUST_NOT_BE_ZERO(6, "id_must_not_be_zero"),
  ID_MUST_NOT_BE_INT_MAX(7, "id_must_not_be_int_max"),
  EXISTS_WITH_DIFFERENT_FLAGS(15, "exists_with_different_flags"),
  EXISTS_WITH_DIFFERENT_USER_DATA_128(16, "exists_with_different_user_data_128"),
  EXISTS_WITH_DIFFERENT_USER_DATA_64(17, "exists_with_different_user_data_64"),
  EXISTS_WITH_DIFFERENT_USER_DATA_32(18, "exists_with_different_user_data_32"),
  EXISTS_WITH_DIFFERENT_LEDGER(19, "exists_with_different_ledger"),
  EXISTS_WITH_DIFFERENT_CODE(20, "exists_with_different_code"),
  EXISTS(21, "exists"),
  FLAGS_ARE_MUTUALLY_EXCLUSIVE(8, "flags_are_mutually_exclusive"),
  DEBITS_PENDING_MUST_BE_ZERO(9, "debits_pending_must_be_zero"),
  DEBITS_POSTED_MUST_BE_ZERO(10, "debits_posted_must_be_zero"),
  CREDITS_PENDING_MUST_BE_ZERO(11, "credits_pending_must_be_zero"),
  CREDITS_POSTED_MUST_BE_ZERO(12, "credits_posted_must_be_zero"),
  LEDGER_MUST_NOT_BE_ZERO(13, "ledger_must_not_be_zero"),
  CODE_MUST_NOT_BE_ZERO(14, "code_must_not_be_zero"),
  IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS(26, "imported_event_timestamp_must_not_regress");

  private static final Table<CreateAccountResult> TABLE = new Table<>(values());

  private final int code;
  private final String tbName;

  CreateAccountResult(int code, String tbName) {
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

  public static CreateAccountResult fromCode(int code) {
    return TABLE.fromCode(code);
  }

  public static CreateAccountResult fromName(String tbName) {
    return TABLE.fromName(tbName);
  }

  @Override
  public String toString() {
    return tbName;
  }
}
