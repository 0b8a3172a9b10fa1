package dev.ledgerline.ledger.engine;

import static dev.ledgerline.ledger.engine.Fields.*;

import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.TransferFlags;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Offline check of an engine data directory: replays the log from its start (from op 1, or from the oldest snapshot
 * that reaches the first kept segment), compares the state at every later snapshot's op number with that snapshot
 * byte for byte, then checks conservation, every account's balances against the sum of its transfers, balance
 * limits and two-phase consistency. Never modifies the directory.
 */
public final class LedgerVerifier {

  /** The outcome: {@code violations} empty means clean. */
  public record Report(List<String> violations, List<String> notes, int accounts, int transfers, long records,
      long snapshotOp, String digest) {
    public boolean clean() {
      return violations.isEmpty();
    }
  }

  private LedgerVerifier() {}

  public static Report verify(Path dir) throws IOException {
    List<String> violations = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      violations.add("not a directory: " + dir);
      return new Report(violations, notes, 0, 0, 0, 0, null);
    }
    if (Files.exists(dir.resolve(Wal.LEGACY_FILE))) {
      violations.add(dir.resolve(Wal.LEGACY_FILE) + " is a version-1 write-ahead log; this release reads version 3");
      return new Report(violations, notes, 0, 0, 0, 0, null);
    }
    List<Path> snapshots;
    try (Stream<Path> s = Files.list(dir)) {
      snapshots = s.filter(Snapshots::isSnapshot)
          .sorted((a, b) -> Long.compare(Snapshots.op(a), Snapshots.op(b))).toList();
    }
    List<Wal.Segment> segments = Wal.segments(dir);
    long firstLogOp = segments.isEmpty() ? 1 : segments.get(0).firstOp();
    // Replay from scratch if the log starts at op 1, else from the oldest snapshot that reaches the log's start.
    StateMachine sm = new StateMachine();
    long baseOp = 0;
    if (firstLogOp > 1) {
      Path base = null;
      for (Path p : snapshots) {
        if (Snapshots.op(p) >= firstLogOp - 1) {
          base = p;
          break;
        }
      }
      if (base == null) {
        violations.add("the log starts at op " + firstLogOp + " but no snapshot covers the ops before it");
        return new Report(violations, notes, 0, 0, 0, 0, null);
      }
      try {
        StateCodec.Loaded loaded = StateCodec.readSnapshot(base);
        sm = loaded.sm();
        baseOp = loaded.opNumber();
        notes.add("replay starts from snapshot " + base.getFileName() + " at op " + baseOp + " (checksum ok)");
      } catch (LedgerCorruptionException e) {
        violations.add(e.getMessage());
        return new Report(violations, notes, 0, 0, 0, 0, null);
      }
    }
    // The snapshots after the base, each checked against the replay when it reaches their op.
    Map<Long, StateCodec.Loaded> later = new TreeMap<>();
    long newestOp = baseOp;
    for (Path p : snapshots) {
      long op = Snapshots.op(p);
      if (op <= baseOp) continue;
      try {
        later.put(op, StateCodec.readSnapshot(p));
        notes.add("snapshot " + p.getFileName() + " at op " + op + " (checksum ok)");
      } catch (LedgerCorruptionException e) {
        violations.add(e.getMessage());
        return new Report(violations, notes, 0, 0, 0, op, null);
      }
      newestOp = Math.max(newestOp, op);
    }
    if (snapshots.isEmpty()) notes.add("no snapshot");
    StateMachine replayed = sm;
    Replay replay = new Replay();
    final long skip = baseOp;
    long records = 0;
    long expected = firstLogOp;
    for (int i = 0; i < segments.size(); i++) {
      Wal.Segment seg = segments.get(i);
      if (seg.firstOp() != expected) {
        violations.add("corrupt ledger data in " + seg.file() + ": the segment starts at op " + seg.firstOp()
            + " but the one before it ends at op " + (expected - 1));
        return new Report(violations, notes, 0, 0, records, newestOp, null);
      }
      try (FileChannel ch = FileChannel.open(seg.file(), StandardOpenOption.READ)) {
        Wal.ScanResult scan = Wal.scan(ch, seg, i == segments.size() - 1, r -> {
          if (r.opNumber() <= skip) return;
          replay.apply(replayed, r);
          StateCodec.Loaded snap = later.get(r.opNumber());
          if (snap != null) compare(replayed, snap, violations, notes);
        });
        if (i == segments.size() - 1) checkCommits(seg, scan, notes);
        records += scan.lastOpNumber() - expected + 1;
        expected = scan.lastOpNumber() + 1;
        if (scan.tornTail()) {
          notes.add("torn group at byte offset " + scan.tornOffset() + " of " + seg.file().getFileName() + " ("
              + scan.tornReason() + "): never acknowledged; the engine truncates it on start");
        }
      } catch (dev.ledgerline.ledger.LedgerException e) {
        // Corruption, or a segment of the previous format.
        violations.add(e.getMessage());
        return new Report(violations, notes, 0, 0, records, newestOp, null);
      }
    }
    if (segments.isEmpty()) notes.add("no write-ahead log");
    if (expected - 1 < newestOp) {
      violations.add("the log ends at op " + (expected - 1) + ", before the snapshot's op " + newestOp);
    }
    checkInvariants(replayed, violations, notes);
    return new Report(violations, notes, replayed.accountCount(), replayed.transferCount(), records, newestOp,
        replayed.stateDigest());
  }

  /** The newest segment against its commit file, as the engine checks it at start ({@link Wal#checkCommits}). */
  private static void checkCommits(Wal.Segment seg, Wal.ScanResult scan, List<String> notes) throws IOException {
    Path file = CommitFile.of(seg);
    if (!Files.exists(file)) {
      throw new LedgerCorruptionException(file, 0, "op " + (scan.lastOpNumber() + 1) + ": the commit file of the "
          + "newest segment " + seg.file().getFileName() + " is missing");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      CommitFile.Contents commits = CommitFile.read(ch, seg.firstOp());
      Wal.checkCommits(seg, scan, commits);
      if (commits.headerDamaged()) {
        notes.add("commit file " + file.getFileName() + ": header damaged; the engine starts it afresh");
      } else if (commits.damaged() > 0) {
        notes.add("commit file " + file.getFileName() + ": " + commits.damaged() + " damaged entries (the segment's "
            + "own markers prove those groups)");
      }
    }
  }

  private static void compare(StateMachine replayed, StateCodec.Loaded snap, List<String> violations,
      List<String> notes) {
    String atSnapshot = replayed.stateDigest();
    String snapshotDigest = snap.sm().stateDigest();
    if (!atSnapshot.equals(snapshotDigest)) {
      violations.add("replaying the log to op " + snap.opNumber() + " gives a different state than the snapshot ("
          + atSnapshot + " vs " + snapshotDigest + ")");
    } else if (replayed.fenceEpoch != snap.fenceEpoch()) {
      violations.add("replaying the log to op " + snap.opNumber() + " gives fencing epoch " + replayed.fenceEpoch
          + " but the snapshot holds " + snap.fenceEpoch());
    } else {
      notes.add("replay to op " + snap.opNumber() + " matches the snapshot byte for byte");
    }
  }

  private static BigInteger u128(long lo, long hi) {
    return new BigInteger(Long.toUnsignedString(hi)).shiftLeft(64).add(new BigInteger(Long.toUnsignedString(lo)));
  }

  /** Conservation, per-account sums, limits and two-phase consistency on a replayed state. */
  static void checkInvariants(StateMachine sm, List<String> violations, List<String> notes) {
    int na = sm.accountCount();
    // Expected balances from the transfers, as long pairs (dp, dpo, cp, cpo) per account.
    long[] exp = new long[na * 8];
    int[] postsPerPending = new int[0];
    int pendingOpen = 0;
    for (int t = 0; t < sm.transferCount(); t++) {
      int dra = sm.findAccount(sm.transfers.get(t, DEBIT_ACCOUNT_ID), sm.transfers.get(t, DEBIT_ACCOUNT_ID + 1));
      int cra = sm.findAccount(sm.transfers.get(t, CREDIT_ACCOUNT_ID), sm.transfers.get(t, CREDIT_ACCOUNT_ID + 1));
      if (dra < 0 || cra < 0) {
        violations.add("transfer #" + t + " references a missing account");
        continue;
      }
      int flags = sm.transfers.flags(t);
      long lo = sm.transfers.get(t, AMOUNT);
      long hi = sm.transfers.get(t, AMOUNT + 1);
      if ((flags & TransferFlags.PENDING) != 0) {
        if (sm.transfers.status(t) == TransferStore.STATUS_PENDING) {
          U128.addTo(exp, dra * 8, lo, hi);
          U128.addTo(exp, cra * 8 + 4, lo, hi);
          pendingOpen++;
        }
      } else if ((flags & TransferFlags.VOID_PENDING_TRANSFER) != 0) {
        checkResolves(sm, t, TransferStore.STATUS_VOIDED, violations);
      } else {
        if ((flags & TransferFlags.POST_PENDING_TRANSFER) != 0) {
          checkResolves(sm, t, TransferStore.STATUS_POSTED, violations);
        }
        U128.addTo(exp, dra * 8 + 2, lo, hi);
        U128.addTo(exp, cra * 8 + 6, lo, hi);
      }
    }
    BigInteger sumDp = BigInteger.ZERO;
    BigInteger sumDpo = BigInteger.ZERO;
    BigInteger sumCp = BigInteger.ZERO;
    BigInteger sumCpo = BigInteger.ZERO;
    int setup = 0;
    String[] names = {"debits_pending", "debits_posted", "credits_pending", "credits_posted"};
    for (int a = 0; a < na; a++) {
      if (sm.setupTouched.get(a)) {
        setup++;
        // Balances written directly by the test hook: compare the transfer-derived sums instead.
        sumDp = sumDp.add(u128(exp[a * 8], exp[a * 8 + 1]));
        sumDpo = sumDpo.add(u128(exp[a * 8 + 2], exp[a * 8 + 3]));
        sumCp = sumCp.add(u128(exp[a * 8 + 4], exp[a * 8 + 5]));
        sumCpo = sumCpo.add(u128(exp[a * 8 + 6], exp[a * 8 + 7]));
        continue;
      }
      for (int k = 0; k < 4; k++) {
        long lo = sm.accounts.get(a, DEBITS_PENDING + 2 * k);
        long hi = sm.accounts.get(a, DEBITS_PENDING + 2 * k + 1);
        if (lo != exp[a * 8 + 2 * k] || hi != exp[a * 8 + 2 * k + 1]) {
          violations.add("account " + accountId(sm, a) + " " + names[k] + " = " + u128(lo, hi)
              + " but its transfers sum to " + u128(exp[a * 8 + 2 * k], exp[a * 8 + 2 * k + 1]));
        }
      }
      BigInteger dp = u128(sm.accounts.get(a, DEBITS_PENDING), sm.accounts.get(a, DEBITS_PENDING + 1));
      BigInteger dpo = u128(sm.accounts.get(a, DEBITS_POSTED), sm.accounts.get(a, DEBITS_POSTED + 1));
      BigInteger cp = u128(sm.accounts.get(a, CREDITS_PENDING), sm.accounts.get(a, CREDITS_PENDING + 1));
      BigInteger cpo = u128(sm.accounts.get(a, CREDITS_POSTED), sm.accounts.get(a, CREDITS_POSTED + 1));
      sumDp = sumDp.add(dp);
      sumDpo = sumDpo.add(dpo);
      sumCp = sumCp.add(cp);
      sumCpo = sumCpo.add(cpo);
      int flags = sm.accounts.flags(a);
      if ((flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS) != 0 && dp.add(dpo).compareTo(cpo) > 0) {
        violations.add("account " + accountId(sm, a) + ": debits exceed credits");
      }
      if ((flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS) != 0 && cp.add(cpo).compareTo(dpo) > 0) {
        violations.add("account " + accountId(sm, a) + ": credits exceed debits");
      }
    }
    if (!sumDpo.equals(sumCpo)) violations.add("conservation: sum debits_posted " + sumDpo + " != sum credits_posted " + sumCpo);
    if (!sumDp.equals(sumCp)) violations.add("conservation: sum debits_pending " + sumDp + " != sum credits_pending " + sumCp);
    notes.add("posted total " + sumDpo + ", pending total " + sumDp + ", open pending transfers " + pendingOpen);
    if (setup > 0) notes.add(setup + " account(s) had balances set directly by the test hook; checked by transfers only");
  }

  private static BigInteger accountId(StateMachine sm, int a) {
    return u128(sm.accounts.get(a, ID), sm.accounts.get(a, ID + 1));
  }

  private static void checkResolves(StateMachine sm, int t, byte want, List<String> violations) {
    int p = sm.findTransfer(sm.transfers.get(t, PENDING_ID), sm.transfers.get(t, PENDING_ID + 1));
    if (p < 0 || p >= t) {
      violations.add("transfer #" + t + " posts/voids a pending transfer that does not precede it");
    } else if (sm.transfers.status(p) != want) {
      violations.add("pending transfer #" + p + " has status " + sm.transfers.status(p) + " but transfer #" + t
          + " resolved it");
    }
  }
}
