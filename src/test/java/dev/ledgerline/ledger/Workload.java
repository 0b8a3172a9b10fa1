package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.util.ArrayList;
import java.util.List;

/**
 * A deterministic mix of create requests per requester: linked chains that succeed, fail and stay open, transient
 * failures and {@code id_already_failed}, {@code exists*}, imported requests, two-phase transfers. Requesters touch
 * only their own accounts and ids, so whatever the interleaving, each request's results equal those of running the
 * requester's requests alone, one by one.
 */
final class Workload {
  /** One create request: accounts or transfers. */
  record Request(List<Account> accounts, List<Transfer> transfers) {
    static Request accounts(Account... a) {
      return new Request(List.of(a), null);
    }

    static Request transfers(Transfer... t) {
      return new Request(null, List.of(t));
    }

    boolean isAccounts() {
      return accounts != null;
    }
  }

  private Workload() {}

  static UInt128 id(int requester, int n) {
    return UInt128.of(n, requester + 1L);
  }

  /** The requests of one requester, in the order it sends them (each after the previous one's reply). */
  static List<Request> requester(int r) {
    UInt128 a1 = id(r, 1);
    UInt128 a2 = id(r, 2);
    UInt128 lim = id(r, 3);
    UInt128 missing = id(r, 99);
    List<Request> out = new ArrayList<>();
    out.add(Request.accounts(Account.of(a1, 1, 1, 0), Account.of(a2, 1, 1, AccountFlags.HISTORY),
        Account.of(lim, 1, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account.of(UInt128.ZERO, 1, 1, 0), // id_must_not_be_zero
        Account.of(a1, 1, 1, 0))); // exists, within the same request
    // A linked account chain that fails on its second member, and one left open.
    out.add(Request.accounts(Account.of(id(r, 4), 1, 1, AccountFlags.LINKED), Account.of(id(r, 5), 0, 1, 0)));
    out.add(Request.accounts(Account.of(id(r, 6), 1, 1, 0), Account.of(id(r, 7), 1, 1, AccountFlags.LINKED)));
    int t = 100;
    Transfer first = Transfer.of(id(r, t++), a1, a2, UInt128.of(10), 1, 1, 0);
    out.add(Request.transfers(first));
    out.add(Request.transfers(Transfer.of(id(r, t++), a1, a2, UInt128.of(5), 1, 1, TransferFlags.LINKED),
        Transfer.of(id(r, t++), a2, a1, UInt128.of(3), 1, 1, 0)));
    // Chain broken in the middle by a transient failure: rolled back as a unit.
    out.add(Request.transfers(Transfer.of(id(r, t++), a1, a2, UInt128.of(7), 1, 1, TransferFlags.LINKED),
        Transfer.of(id(r, t++), a1, missing, UInt128.of(7), 1, 1, TransferFlags.LINKED),
        Transfer.of(id(r, t++), a1, a2, UInt128.of(7), 1, 1, 0)));
    // Open chain at the end of the request: must not run into whatever follows it in a batch.
    out.add(Request.transfers(Transfer.of(id(r, t++), a1, a2, UInt128.of(1), 1, 1, 0),
        Transfer.of(id(r, t++), a1, a2, UInt128.of(1), 1, 1, TransferFlags.LINKED)));
    UInt128 failedId = id(r, t++);
    out.add(Request.transfers(Transfer.of(failedId, lim, a1, UInt128.of(1), 1, 1, 0))); // exceeds_credits
    out.add(Request.transfers(Transfer.of(failedId, a1, a2, UInt128.of(1), 1, 1, 0))); // id_already_failed
    out.add(Request.transfers(first)); // exists
    out.add(Request.transfers(Transfer.of(first.id(), a1, a2, UInt128.of(11), 1, 1, 0))); // different amount
    out.add(Request.transfers(Transfer.of(id(r, t++), a1, a2, UInt128.of(2), 1, 1, 0),
        Transfer.of(id(r, t++), a1, a1, UInt128.of(2), 1, 1, 0), // accounts_must_be_different
        Transfer.of(id(r, t++), a2, a1, UInt128.of(1), 1, 1, 0)));
    // Imported requests: a batch's first event decides "imported", so these must not share with others.
    out.add(Request.transfers(Transfer.of(id(r, t++), a1, a2, UInt128.of(1), 1, 1, TransferFlags.IMPORTED)));
    out.add(Request.transfers(Transfer.of(id(r, t++), a1, a2, UInt128.of(1), 1, 1, 0),
        Transfer.of(id(r, t++), a1, a2, UInt128.of(1), 1, 1, TransferFlags.IMPORTED)));
    UInt128 pending = id(r, t++);
    out.add(Request.transfers(Transfer.of(pending, a1, a2, UInt128.of(20), 1, 1, TransferFlags.PENDING)));
    out.add(Request.transfers(Transfer.of(id(r, t++), UInt128.ZERO, UInt128.ZERO, UInt128.MAX, 0, 0,
        TransferFlags.POST_PENDING_TRANSFER).withPending(pending, 0)));
    for (int i = 0; i < 6; i++) {
      out.add(Request.transfers(Transfer.of(id(r, t++), i % 2 == 0 ? a1 : a2, i % 2 == 0 ? a2 : a1,
          UInt128.of(1 + i), 1, 1, 0)));
    }
    return out;
  }

  /** Every account id a requester may have created. */
  static List<UInt128> accountIds(int r) {
    List<UInt128> ids = new ArrayList<>();
    for (int n = 1; n <= 7; n++) ids.add(id(r, n));
    return ids;
  }

  /** Every transfer id a requester used. */
  static List<UInt128> transferIds(int r) {
    List<UInt128> ids = new ArrayList<>();
    for (int n = 100; n < 140; n++) ids.add(id(r, n));
    return ids;
  }
}
