package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Batches.u;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.aggregator.AggregateWith;
import org.junit.jupiter.params.aggregator.ArgumentsAccessor;
import org.junit.jupiter.params.aggregator.ArgumentsAggregator;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Table-driven checks of result precedence: each row breaks several rules at once and must get the one that
 * TigerBeetle checks first. Rows are in the order of the result enum (its declaration order is the precedence), so a
 * missing result shows as a gap. Ids and amounts are numbers or {@code max} (2^128-1); flags are names joined by
 * {@code +}, {@code -} for none, {@code bitN} for a reserved (padding) bit; columns not shown are zero.
 */
class ValidationOrderTest {

  /** Accounts 1, 2 (ledger 1), 3 (ledger 2), 4 (debits must not exceed credits); pending transfer 100 (1 to 2). */
  private static StateMachine world() {
    StateMachine sm = new StateMachine();
    assertThat(Batches.accounts(sm, 10, Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0),
        Account.of(u(3), 2, 1, 0), Account.of(u(4), 1, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)))
        .containsOnly(CreateAccountResult.OK);
    assertThat(Batches.transfers(sm, 20, Transfer.of(u(100), u(1), u(2), u(10), 1, 1, TransferFlags.PENDING)))
        .containsOnly(CreateTransferResult.OK);
    return sm;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(useHeadersInDisplayName = true, delimiter = '|', textBlock = """
      case                                                | expected                                        | id  | debit_account_id | credit_account_id | amount | pending_id | timeout | ledger | code | flags                         | timestamp
      zero amount is fine                                 | OK                                              | 5   | 1                | 2                 | 0      | 0          | 0       | 1      | 1    | -                             | 0
      balancing debit clamps to zero instead              | OK                                              | 5   | 4                | 2                 | 1      | 0          | 0       | 1      | 1    | BALANCING_DEBIT               | 0
      imported in a non-imported batch position 0 decides | TIMESTAMP_MUST_BE_ZERO                          | 5   | 1                | 2                 | 1      | 0          | 0       | 1      | 1    | -                             | 7
      padding beats id zero                               | RESERVED_FLAG                                   | 0   | 1                | 2                 | 1      | 0          | 0       | 1      | 1    | bit9                          | 0
      id zero beats everything below                      | ID_MUST_NOT_BE_ZERO                             | 0   | 0                | 0                 | 1      | 0          | 0       | 0      | 0    | -                             | 0
      id max                                              | ID_MUST_NOT_BE_INT_MAX                          | max | 1                | 2                 | 1      | 0          | 0       | 1      | 1    | -                             | 0
      exists: flags compared first                        | EXISTS_WITH_DIFFERENT_FLAGS                     | 100 | 9                | 9                 | 5      | 0          | 0       | 1      | 1    | -                             | 0
      exists: amount                                      | EXISTS_WITH_DIFFERENT_AMOUNT                    | 100 | 1                | 2                 | 11     | 0          | 0       | 1      | 1    | PENDING                       | 0
      exists: same transfer                               | EXISTS                                          | 100 | 1                | 2                 | 10     | 0          | 0       | 1      | 1    | PENDING                       | 0
      post+pending beats pending_id zero                  | FLAGS_ARE_MUTUALLY_EXCLUSIVE                    | 5   | 0                | 0                 | 0      | 0          | 0       | 0      | 0    | PENDING+POST_PENDING_TRANSFER | 0
      debit zero beats credit zero                        | DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO               | 5   | 0                | 0                 | 1      | 0          | 0       | 0      | 0    | -                             | 0
      debit max                                           | DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX            | 5   | max              | 2                 | 1      | 0          | 0       | 1      | 1    | -                             | 0
      credit zero                                         | CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO              | 5   | 1                | 0                 | 1      | 0          | 0       | 0      | 0    | -                             | 0
      same accounts beats ledger zero                     | ACCOUNTS_MUST_BE_DIFFERENT                      | 5   | 1                | 1                 | 1      | 0          | 0       | 0      | 0    | -                             | 0
      pending_id on a regular transfer                    | PENDING_ID_MUST_BE_ZERO                         | 5   | 1                | 2                 | 1      | 100        | 0       | 0      | 0    | -                             | 0
      post without pending_id                             | PENDING_ID_MUST_NOT_BE_ZERO                     | 5   | 0                | 0                 | 0      | 0          | 0       | 0      | 0    | POST_PENDING_TRANSFER         | 0
      timeout without pending                             | TIMEOUT_RESERVED_FOR_PENDING_TRANSFER           | 5   | 1                | 2                 | 1      | 0          | 5       | 0      | 0    | -                             | 0
      closing without pending                             | CLOSING_TRANSFER_MUST_BE_PENDING                | 5   | 1                | 2                 | 1      | 0          | 0       | 0      | 0    | CLOSING_DEBIT                 | 0
      ledger zero beats code zero                         | LEDGER_MUST_NOT_BE_ZERO                         | 5   | 1                | 2                 | 1      | 0          | 0       | 0      | 0    | -                             | 0
      code zero beats account not found                   | CODE_MUST_NOT_BE_ZERO                           | 5   | 8                | 9                 | 1      | 0          | 0       | 1      | 0    | -                             | 0
      debit not found first                               | DEBIT_ACCOUNT_NOT_FOUND                         | 5   | 8                | 9                 | 1      | 0          | 0       | 1      | 1    | -                             | 0
      credit not found                                    | CREDIT_ACCOUNT_NOT_FOUND                        | 5   | 1                | 9                 | 1      | 0          | 0       | 1      | 1    | -                             | 0
      accounts on different ledgers                       | ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER              | 5   | 1                | 3                 | 1      | 0          | 0       | 1      | 1    | -                             | 0
      transfer ledger differs                             | TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS  | 5   | 1                | 2                 | 1      | 0          | 0       | 2      | 1    | -                             | 0
      post: different debit account beats amount          | PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID | 5   | 2                | 0                 | 11     | 100        | 0       | 0      | 0    | POST_PENDING_TRANSFER         | 0
      post: exceeds pending amount                        | EXCEEDS_PENDING_TRANSFER_AMOUNT                 | 5   | 0                | 0                 | 11     | 100        | 0       | 0      | 0    | POST_PENDING_TRANSFER         | 0
      limit flag                                          | EXCEEDS_CREDITS                                 | 5   | 4                | 2                 | 1      | 0          | 0       | 1      | 1    | -                             | 0
      """)
  void transferResultPrecedence(String name, CreateTransferResult expected,
      @AggregateWith(TransferColumns.class) Transfer transfer) {
    StateMachine sm = world();
    assertThat(Batches.transfers(sm, 100, transfer)).containsExactly(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(useHeadersInDisplayName = true, delimiter = '|', textBlock = """
      case                                  | expected                            | id  | debits_pending | credits_posted | user_data_128 | reserved | ledger | code | flags                                                         | timestamp
      ok                                    | OK                                  | 7   | 0              | 0              | 0             | 0        | 1      | 1    | -                                                             | 0
      timestamp on a non-imported account   | TIMESTAMP_MUST_BE_ZERO              | 7   | 0              | 0              | 0             | 0        | 1      | 1    | -                                                             | 3
      reserved beats padding                | RESERVED_FIELD                      | 0   | 0              | 0              | 0             | 1        | 0      | 0    | bit6                                                          | 0
      padding beats id                      | RESERVED_FLAG                       | 0   | 0              | 0              | 0             | 0        | 1      | 1    | bit6                                                          | 0
      id zero                               | ID_MUST_NOT_BE_ZERO                 | 0   | 0              | 0              | 0             | 0        | 0      | 0    | -                                                             | 0
      id max                                | ID_MUST_NOT_BE_INT_MAX              | max | 0              | 0              | 0             | 0        | 0      | 0    | -                                                             | 0
      exists beats mutually exclusive flags | EXISTS_WITH_DIFFERENT_FLAGS         | 1   | 0              | 0              | 0             | 0        | 0      | 0    | DEBITS_MUST_NOT_EXCEED_CREDITS+CREDITS_MUST_NOT_EXCEED_DEBITS | 0
      exists: user data                     | EXISTS_WITH_DIFFERENT_USER_DATA_128 | 1   | 0              | 0              | 5             | 0        | 1      | 1    | -                                                             | 0
      exists: ledger                        | EXISTS_WITH_DIFFERENT_LEDGER        | 1   | 0              | 0              | 0             | 0        | 2      | 1    | -                                                             | 0
      exists                                | EXISTS                              | 1   | 0              | 0              | 0             | 0        | 1      | 1    | -                                                             | 0
      mutually exclusive beats balances     | FLAGS_ARE_MUTUALLY_EXCLUSIVE        | 7   | 1              | 0              | 0             | 0        | 1      | 1    | DEBITS_MUST_NOT_EXCEED_CREDITS+CREDITS_MUST_NOT_EXCEED_DEBITS | 0
      debits pending before credits posted  | DEBITS_PENDING_MUST_BE_ZERO         | 7   | 1              | 1              | 0             | 0        | 1      | 1    | -                                                             | 0
      credits posted                        | CREDITS_POSTED_MUST_BE_ZERO         | 7   | 0              | 1              | 0             | 0        | 0      | 0    | -                                                             | 0
      ledger zero                           | LEDGER_MUST_NOT_BE_ZERO             | 7   | 0              | 0              | 0             | 0        | 0      | 0    | -                                                             | 0
      code zero                             | CODE_MUST_NOT_BE_ZERO               | 7   | 0              | 0              | 0             | 0        | 1      | 0    | -                                                             | 0
      """)
  void accountResultPrecedence(String name, CreateAccountResult expected,
      @AggregateWith(AccountColumns.class) Account account) {
    StateMachine sm = world();
    assertThat(Batches.accounts(sm, 100, account)).containsExactly(expected);
  }

  /** The transfer columns after case and expected, in the order of the table's header. */
  static final class TransferColumns implements ArgumentsAggregator {
    @Override
    public Transfer aggregateArguments(ArgumentsAccessor row, ParameterContext context) {
      return new Transfer(u128(row.getString(2)), u128(row.getString(3)), u128(row.getString(4)),
          u128(row.getString(5)), u128(row.getString(6)), UInt128.ZERO, 0, 0, row.getInteger(7),
          row.getInteger(8), row.getInteger(9), flags(TransferFlags.class, row.getString(10)), row.getLong(11));
    }
  }

  /** The account columns after case and expected, in the order of the table's header. */
  static final class AccountColumns implements ArgumentsAggregator {
    @Override
    public Account aggregateArguments(ArgumentsAccessor row, ParameterContext context) {
      return new Account(u128(row.getString(2)), u128(row.getString(3)), UInt128.ZERO, UInt128.ZERO,
          u128(row.getString(4)), u128(row.getString(5)), 0, 0, row.getInteger(6), row.getInteger(7),
          row.getInteger(8), flags(AccountFlags.class, row.getString(9)), row.getLong(10));
    }
  }

  private static UInt128 u128(String cell) {
    return cell.equals("max") ? UInt128.MAX : u(Long.parseLong(cell));
  }

  /** Flag names of the holder class joined by +, "-" for none, "bitN" for a bit no flag names. */
  private static int flags(Class<?> names, String cell) {
    int flags = 0;
    if (cell.equals("-")) {
      return flags;
    }
    for (String name : cell.split("\\+")) {
      if (name.startsWith("bit")) {
        flags |= 1 << Integer.parseInt(name.substring(3));
      } else {
        try {
          flags |= names.getField(name).getInt(null);  
        } catch (ReflectiveOperationException e) {
          throw new IllegalArgumentException("no flag " + name + " in " + names.getSimpleName(), e);
        }
      }
    }
    return flags;
  }
}
