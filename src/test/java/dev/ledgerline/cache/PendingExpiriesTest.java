package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingExpiriesTest {
  private static final long T0_MS = 1_700_000_000_000L;

  private static Transfer transfer(long debit, long credit, int flags, int timeoutSeconds) {
    return new Transfer(UInt128.of(debit * 1000 + credit), UInt128.of(debit), UInt128.of(credit), UInt128.of(5),
        UInt128.ZERO, UInt128.ZERO, 0, 0, timeoutSeconds, 1, 1, flags, T0_MS * 1_000_000);
  }

  @Test
  void onlyPendingTransfersWithATimeoutAreDueAfterTheirTimeoutAndTheSlack() {
    PendingExpiries e = new PendingExpiries(100);
    assertThat(e.add(List.of(transfer(1, 2, TransferFlags.PENDING, 2), transfer(3, 4, 0, 2),
        transfer(5, 6, TransferFlags.PENDING, 0)))).isZero();
    assertThat(e.size()).isEqualTo(2);
    long due = T0_MS + 2_000 + PendingExpiries.SLACK_MS;
    assertThat(e.takeDue(due - 1)).isEmpty();
    // Due by the end of its bucket; then once more, a few seconds later (a ledger that expired late), and no more.
    long first = due + PendingExpiries.BUCKET_MS;
    assertThat(e.takeDue(first)).containsExactlyInAnyOrder("1", "2");
    assertThat(e.size()).isEqualTo(2);
    assertThat(e.takeDue(first + PendingExpiries.AGAIN_MS - 1)).isEmpty();
    assertThat(e.takeDue(first + PendingExpiries.AGAIN_MS + PendingExpiries.BUCKET_MS))
        .containsExactlyInAnyOrder("1", "2");
    assertThat(e.takeDue(due + 60_000)).isEmpty();
    assertThat(e.size()).isZero();
  }

  /** A key due again while its second drop waits is dropped now, and each expiry's second drop still comes. */
  @Test
  void aKeyDueAgainWhileItsSecondDropWaitsIsDroppedAtOnce() {
    PendingExpiries e = new PendingExpiries(100);
    e.add(List.of(transfer(1, 2, TransferFlags.PENDING, 1)));
    long firstDue = T0_MS + 1_000 + PendingExpiries.SLACK_MS + PendingExpiries.BUCKET_MS;
    assertThat(e.takeDue(firstDue)).containsExactlyInAnyOrder("1", "2");
    e.add(List.of(transfer(1, 9, TransferFlags.PENDING, 2)));
    assertThat(e.size()).isEqualTo(4);
    assertThat(e.takeDue(firstDue + 1_000)).containsExactlyInAnyOrder("1", "9");
    assertThat(e.size()).isEqualTo(4);
    assertThat(e.takeDue(firstDue + 60_000)).containsExactlyInAnyOrder("1", "2", "9");
    assertThat(e.size()).isZero();
  }

  @Test
  void anAccountIsKeptOncePerBucketAndBeyondTheCapacityExpiriesAreCounted() {
    PendingExpiries e = new PendingExpiries(3);
    assertThat(e.add(List.of(transfer(1, 2, TransferFlags.PENDING, 1), transfer(1, 2, TransferFlags.PENDING, 1))))
        .isZero();
    assertThat(e.size()).isEqualTo(2);
    assertThat(e.add(List.of(transfer(7, 8, TransferFlags.PENDING, 1)))).isEqualTo(1);
    assertThat(e.size()).isEqualTo(3);
    assertThat(e.dropped()).isEqualTo(1);
    // Full, it remembers no more expiry times, however many different timeouts come.
    for (int timeout = 2; timeout < 1002; timeout++) {
      assertThat(e.add(List.of(transfer(9, 10, TransferFlags.PENDING, timeout)))).isEqualTo(2);
    }
    assertThat(e.buckets()).isEqualTo(1);
    assertThat(e.takeDue(Long.MAX_VALUE)).containsExactlyInAnyOrder("1", "2", "7");
    assertThat(e.takeDue(Long.MAX_VALUE)).containsExactlyInAnyOrder("1", "2", "7");
    assertThat(e.size()).isZero();
  }
}
