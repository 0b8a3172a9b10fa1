package dev.ledgerline.ledger.model;

/**
 * Result of one event of create_accounts, with TigerBeetle 0.16.30's names and numeric codes. Constants are declared in
 * TigerBeetle's order of descending precedence; {@link #code()} is the wire value.
 */
public enum CreateAccountResult implements ResultCode {
  OK(0),
  LINKED_EVENT_FAILED(1),
  LINKED_EVENT_CHAIN_OPEN(2),
  IMPORTED_EVENT_EXPECTED(22),
  IMPORTED_EVENT_NOT_EXPECTED(23),
  TIMESTAMP_MUST_BE_ZERO(3),
  IMPORTED_EVENT_TIMESTAMP_OUT_OF_RANGE(24),
  IMPORTED_EVENT_TIMESTAMP_MUST_NOT_ADVANCE(25),
  RESERVED_FIELD(4),
  RESERVED_FLAG(5),
  ID_MUST_NOT_BE_ZERO(6),
  ID_MUST_NOT_BE_INT_MAX(7),
  EXISTS_WITH_DIFFERENT_FLAGS(15),
  EXISTS_WITH_DIFFERENT_USER_DATA_128(16),
  EXISTS_WITH_DIFFERENT_USER_DATA_64(17),
  EXISTS_WITH_DIFFERENT_USER_DATA_32(18),
  EXISTS_WITH_DIFFERENT_LEDGER(19),
  EXISTS_WITH_DIFFERENT_CODE(20),
  EXISTS(21),
  FLAGS_ARE_MUTUALLY_EXCLUSIVE(8),
  DEBITS_PENDING_MUST_BE_ZERO(9),
  DEBITS_POSTED_MUST_BE_ZERO(10),
  CREDITS_PENDING_MUST_BE_ZERO(11),
  CREDITS_POSTED_MUST_BE_ZERO(12),
  LEDGER_MUST_NOT_BE_ZERO(13),
  CODE_MUST_NOT_BE_ZERO(14),
  IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS(26);

  private static final Table<CreateAccountResult> TABLE = new Table<>(values());

  private final int code;

  CreateAccountResult(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static CreateAccountResult fromCode(int code) {
    return TABLE.fromCode(code);
  }

  public static CreateAccountResult fromName(String tbName) {
    return TABLE.fromName(tbName);
  }

  @Override
  public String toString() {
    return tbName();
  }
}
