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
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven checks of result precedence: each row breaks several rules at once and must get the one that
 * TigerBeetle checks first.
 */
class ValidationOrderTest {
  private static final UInt128 MAX = UInt128.MAX;

  private static Transfer t(long id, long dr, long cr, long amount, int ledger, int code, int flags) {
    return Transfer.of(u(id), u(dr), u(cr), u(amount), ledger, code, flags);
  }

  /** Accounts 1, 2 (ledger 1), 3 (ledger 2), 4 (debits must not exceed credits); pending transfer 100 (1 to 2). */
  private static StateMachine world() {
    StateMachine sm = new StateMachine();
    assertThat(Batches.accounts(sm, 10, Account.of(u(1), 1, 1, 0), Account.of(u(2), 1, 1, 0),
        Account.of(u(3), 2, 1, 0), Account.of(u(4), 1, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)))
        .containsOnly(CreateAccountResult.OK);
    assertThat(Batches.transfers(sm, 20, t(100, 1, 2, 10, 1, 1, TransferFlags.PENDING)))
        .containsOnly(CreateTransferResult.OK);
    return sm;
  }

  static Stream<Arguments> transferRows() {
    int post = TransferFlags.POST_PENDING_TRANSFER;
    return Stream.of(
        Arguments.of("padding beats id zero", t(0, 1, 2, 1, 1, 1, 1 << 9), CreateTransferResult.RESERVED_FLAG),
        Arguments.of("id zero beats everything below", t(0, 0, 0, 1, 0, 0, 0),
            CreateTransferResult.ID_MUST_NOT_BE_ZERO),
        Arguments.of("id max", new Transfer(MAX, u(1), u(2), u(1), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0, 0),
            CreateTransferResult.ID_MUST_NOT_BE_INT_MAX),
        Arguments.of("exists: flags compared first", t(100, 9, 9, 5, 1, 1, 0),
            CreateTransferResult.EXISTS_WITH_DIFFERENT_FLAGS),
        Arguments.of("exists: same transfer", t(100, 1, 2, 10, 1, 1, TransferFlags.PENDING),
            CreateTransferResult.EXISTS),
        Arguments.of("exists: amount", t(100, 1, 2, 11, 1, 1, TransferFlags.PENDING),
            CreateTransferResult.EXISTS_WITH_DIFFERENT_AMOUNT),
        Arguments.of("post+pending beats pending_id zero", t(5, 0, 0, 0, 0, 0, post | TransferFlags.PENDING),
            CreateTransferResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE),
        Arguments.of("post without pending_id", t(5, 0, 0, 0, 0, 0, post),
            CreateTransferResult.PENDING_ID_MUST_NOT_BE_ZERO),
        Arguments.of("debit zero beats credit zero", t(5, 0, 0, 1, 0, 0, 0),
            CreateTransferResult.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO),
        Arguments.of("debit max", new Transfer(u(5), MAX, u(2), u(1), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0,
            0), CreateTransferResult.DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX),
        Arguments.of("credit zero", t(5, 1, 0, 1, 0, 0, 0), CreateTransferResult.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO),
        Arguments.of("same accounts beats ledger zero", t(5, 1, 1, 1, 0, 0, 0),
            CreateTransferResult.ACCOUNTS_MUST_BE_DIFFERENT),
        Arguments.of("pending_id on a regular transfer", t(5, 1, 2, 1, 0, 0, 0).withPending(u(100), 0),
            CreateTransferResult.PENDING_ID_MUST_BE_ZERO),
        Arguments.of("timeout without pending", t(5, 1, 2, 1, 0, 0, 0).withPending(UInt128.ZERO, 5),
            CreateTransferResult.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER),
        Arguments.of("closing without pending", t(5, 1, 2, 1, 0, 0, TransferFlags.CLOSING_DEBIT),
            CreateTransferResult.CLOSING_TRANSFER_MUST_BE_PENDING),
        Arguments.of("ledger zero beats code zero", t(5, 1, 2, 1, 0, 0, 0),
            CreateTransferResult.LEDGER_MUST_NOT_BE_ZERO),
        Arguments.of("code zero beats account not found", t(5, 8, 9, 1, 1, 0, 0),
            CreateTransferResult.CODE_MUST_NOT_BE_ZERO),
        Arguments.of("debit not found first", t(5, 8, 9, 1, 1, 1, 0), CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND),
        Arguments.of("credit not found", t(5, 1, 9, 1, 1, 1, 0), CreateTransferResult.CREDIT_ACCOUNT_NOT_FOUND),
        Arguments.of("accounts on different ledgers", t(5, 1, 3, 1, 1, 1, 0),
            CreateTransferResult.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER),
        Arguments.of("transfer ledger differs", t(5, 1, 2, 1, 2, 1, 0),
            CreateTransferResult.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS),
        Arguments.of("zero amount is fine", t(5, 1, 2, 0, 1, 1, 0), CreateTransferResult.OK),
        Arguments.of("limit flag", t(5, 4, 2, 1, 1, 1, 0), CreateTransferResult.EXCEEDS_CREDITS),
        Arguments.of("balancing debit clamps to zero instead", t(5, 4, 2, 1, 1, 1, TransferFlags.BALANCING_DEBIT),
            CreateTransferResult.OK),
        Arguments.of("post: exceeds pending amount", t(5, 0, 0, 11, 0, 0, post).withPending(u(100), 0),
            CreateTransferResult.EXCEEDS_PENDING_TRANSFER_AMOUNT),
        Arguments.of("post: different debit account beats amount", t(5, 2, 0, 11, 0, 0, post).withPending(u(100), 0),
            CreateTransferResult.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID),
        Arguments.of("imported in a non-imported batch position 0 decides",
            new Transfer(u(5), u(1), u(2), u(1), UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1, 0, 7),
            CreateTransferResult.TIMESTAMP_MUST_BE_ZERO));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("transferRows")
  void transferResultPrecedence(String name, Transfer transfer, CreateTransferResult expected) {
    StateMachine sm = world();
    assertThat(Batches.transfers(sm, 100, transfer)).containsExactly(expected);
  }

  static Stream<Arguments> accountRows() {
    Account base = Account.of(u(7), 1, 1, 0);
    return Stream.of(
        Arguments.of("reserved beats padding", new Account(u(0), UInt128.ZERO, UInt128.ZERO, UInt128.ZERO,
            UInt128.ZERO, UInt128.ZERO, 0, 0, 1, 0, 0, 1 << 6, 0), CreateAccountResult.RESERVED_FIELD),
        Arguments.of("padding beats id", Account.of(u(0), 1, 1, 1 << 6), CreateAccountResult.RESERVED_FLAG),
        Arguments.of("id zero", Account.of(u(0), 0, 0, 0), CreateAccountResult.ID_MUST_NOT_BE_ZERO),
        Arguments.of("id max", Account.of(MAX, 0, 0, 0), CreateAccountResult.ID_MUST_NOT_BE_INT_MAX),
        Arguments.of("exists beats mutually exclusive flags", Account.of(u(1), 0, 0,
            AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
            CreateAccountResult.EXISTS_WITH_DIFFERENT_FLAGS),
        Arguments.of("exists: user data", Account.of(u(1), 1, 1, 0).withUserData(u(5), 0, 0),
            CreateAccountResult.EXISTS_WITH_DIFFERENT_USER_DATA_128),
        Arguments.of("exists: ledger", Account.of(u(1), 2, 1, 0), CreateAccountResult.EXISTS_WITH_DIFFERENT_LEDGER),
        Arguments.of("exists", Account.of(u(1), 1, 1, 0), CreateAccountResult.EXISTS),
        Arguments.of("mutually exclusive beats balances", new Account(u(7), u(1), UInt128.ZERO, UInt128.ZERO,
            UInt128.ZERO, UInt128.ZERO, 0, 0, 0, 1, 1,
            AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS, 0),
            CreateAccountResult.FLAGS_ARE_MUTUALLY_EXCLUSIVE),
        Arguments.of("debits pending before credits posted", new Account(u(7), u(1), UInt128.ZERO, UInt128.ZERO,
            u(1), UInt128.ZERO, 0, 0, 0, 1, 1, 0, 0), CreateAccountResult.DEBITS_PENDING_MUST_BE_ZERO),
        Arguments.of("credits posted", new Account(u(7), UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, u(1),
            UInt128.ZERO, 0, 0, 0, 0, 0, 0, 0), CreateAccountResult.CREDITS_POSTED_MUST_BE_ZERO),
        Arguments.of("ledger zero", Account.of(u(7), 0, 0, 0), CreateAccountResult.LEDGER_MUST_NOT_BE_ZERO),
        Arguments.of("code zero", Account.of(u(7), 1, 0, 0), CreateAccountResult.CODE_MUST_NOT_BE_ZERO),
        Arguments.of("timestamp on a non-imported account", base.withTimestamp(3),
            CreateAccountResult.TIMESTAMP_MUST_BE_ZERO),
        Arguments.of("ok", base, CreateAccountResult.OK));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accountRows")
  void accountResultPrecedence(String name, Account account, CreateAccountResult expected) {
    StateMachine sm = world();
    assertThat(Batches.accounts(sm, 100, account)).containsExactly(expected);
  }
}
