package dev.ledgerline.ledger.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random valid and invalid batches: after every batch conservation, per-account sums and balance limits hold, and
 * replaying the recorded batches (or round-tripping a snapshot) reproduces the state byte for byte.
 */
class StateMachinePropertyTest {

  private static final int[] FLAG_CHOICES = {0, 0, 0, TransferFlags.LINKED, TransferFlags.PENDING,
      TransferFlags.PENDING, TransferFlags.POST_PENDING_TRANSFER, TransferFlags.VOID_PENDING_TRANSFER,
      TransferFlags.BALANCING_DEBIT, TransferFlags.BALANCING_CREDIT, TransferFlags.PENDING | TransferFlags.CLOSING_DEBIT,
      TransferFlags.PENDING | TransferFlags.CLOSING_CREDIT, TransferFlags.LINKED | TransferFlags.PENDING,
      TransferFlags.POST_PENDING_TRANSFER | TransferFlags.LINKED};

  @Provide
  Arbitrary<Transfer> transfers() {
    Arbitrary<Long> id = Arbitraries.longs().between(1, 80);
    Arbitrary<Long> account = Arbitraries.longs().between(0, 7); // 0 and 7 do not exist
    Arbitrary<UInt128> amount = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, Arbitraries.longs().between(0, 1000).map(UInt128::of)),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(UInt128.MAX)),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(UInt128.of(0, 1L << 62))));
    Arbitrary<Integer> flags = Arbitraries.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13).map(i -> FLAG_CHOICES[i]);
    Arbitrary<Integer> timeout = Arbitraries.of(0, 0, 1, 2);
    Arbitrary<Long> pendingId = Arbitraries.longs().between(0, 80);
    return Combinators.combine(id, account, account, amount, flags, timeout, pendingId, Arbitraries.of(0, 1, 2))
        .as((i, dr, cr, amt, f, to, pid, ledger) -> {
          boolean postVoid = (f & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)) != 0;
          int tout = (f & TransferFlags.PENDING) != 0 ? to : (to == 2 ? 1 : 0); // mostly valid, sometimes not
          return new Transfer(UInt128.of(i), UInt128.of(postVoid ? 0 : dr), UInt128.of(postVoid ? 0 : cr), amt,
              UInt128.of(postVoid ? pid : 0), UInt128.ZERO, 0, 0, tout, postVoid ? 0 : ledger == 0 ? 1 : 1,
              postVoid ? 0 : 1, f, 0);
        });
  }

  @Provide
  Arbitrary<List<List<Transfer>>> batches() {
    return transfers().list().ofMinSize(0).ofMaxSize(12).list().ofMinSize(1).ofMaxSize(12);
  }

  /** One recorded state change, as the engine would log it. */
  private record Logged(int op, long timestamp, ByteBuffer body) {}

  @Property(tries = 150)
  void invariantsHoldAndReplayIsByteIdentical(@ForAll("batches") List<List<Transfer>> batches,
      @ForAll("ticks") List<Long> ticks) throws IOException {
    StateMachine sm = new StateMachine();
    List<Logged> log = new ArrayList<>();
    long t = 1000;
    List<Account> accounts = List.of(
        Account.of(UInt128.of(1), 1, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account.of(UInt128.of(2), 1, 1, AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS | AccountFlags.HISTORY),
        Account.of(UInt128.of(3), 1, 1, AccountFlags.HISTORY), Account.of(UInt128.of(4), 1, 1, 0),
        Account.of(UInt128.of(5), 1, 1, 0), Account.of(UInt128.of(6), 2, 1, 0));
    ByteBuffer ab = Wire.encodeAccounts(accounts);
    t += accounts.size();
    sm.createAccounts(ab, 0, accounts.size(), t, new BatchResults());
    log.add(new Logged(Wal.OP_CREATE_ACCOUNTS, t, ab));
    BatchResults results = new BatchResults();
    for (int k = 0; k < batches.size(); k++) {
      List<Transfer> batch = batches.get(k);
      t += 1 + ticks.get(k % ticks.size());
      long expiry = sm.nextExpiry();
      ByteBuffer b = Wire.encodeTransfers(batch);
      t += batch.size();
      sm.createTransfers(b, 0, batch.size(), t, results);
      log.add(new Logged(Wal.OP_CREATE_TRANSFERS, t, b));
      if (Long.compareUnsigned(expiry, t) <= 0) {
        t += 1 + 8190;
        sm.pulse(t);
        log.add(new Logged(Wal.OP_PULSE, t, null));
      }
      List<String> violations = new ArrayList<>();
      LedgerVerifier.checkInvariants(sm, violations, new ArrayList<>());
      assertThat(violations).as("after batch " + k).isEmpty();
    }
    String digest = sm.stateDigest();

    StateMachine replayed = new StateMachine();
    Replay replay = new Replay();
    for (int i = 0; i < log.size(); i++) {
      Logged l = log.get(i);
      ByteBuffer body = l.body() == null ? ByteBuffer.allocate(0) : l.body().duplicate();
      replay.apply(replayed, new Wal.Record(0, i + 1, l.timestamp(), l.op(),
          body.order(java.nio.ByteOrder.LITTLE_ENDIAN)));
    }
    assertThat(replayed.stateDigest()).isEqualTo(digest);

    Path file = Files.createTempFile("ledgerline-snapshot", ".snap");
    try {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        StateCodec.writeSnapshot(sm.view(log.size()), ch);
      }
      StateCodec.Loaded loaded = StateCodec.readSnapshot(file);
      assertThat(loaded.sm().stateDigest()).isEqualTo(digest);
      assertThat(loaded.sm().nextExpiry()).isEqualTo(sm.nextExpiry());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Provide
  Arbitrary<List<Long>> ticks() {
    return Arbitraries.of(0L, 1L, 500_000_000L, 1_000_000_000L, 2_500_000_000L).list().ofMinSize(1).ofMaxSize(5);
  }
}
