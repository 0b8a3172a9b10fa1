package dev.ledgerline.transactions.saga;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.transactions.saga.ProviderTransfer.Outcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each Plaid transfer status means for the saga. */
class ProviderTransferTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      // plaid status,  outcome
      "pending,         PENDING",
      "posted,          PENDING",
      "settled,         SUCCEEDED",
      "funds_available, SUCCEEDED",
      "failed,          FAILED",
      "cancelled,       FAILED",
      "returned,        FAILED",
      "something_new,   PENDING"})
  void plaidStatuses(String status, Outcome outcome) {
    assertThat(Outcome.ofPlaid(status)).isEqualTo(outcome);
  }
}
