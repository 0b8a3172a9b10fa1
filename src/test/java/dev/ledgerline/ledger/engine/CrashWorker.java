package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Child process of {@link CrashTest}: runs the engine under load and prints, for every acknowledged batch,
 * {@code ACK <first id> <count> <index>:<code>,...} (failures only) once its result is returned, until killed.
 */
public final class CrashWorker {
  private CrashWorker() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long base = Long.parseLong(args[1]);
    Random rnd = new Random(Long.parseLong(args[2]));
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
    EngineConfig config = new EngineConfig(dir, Duration.ofMillis(200), true, false, true);
    LedgerEngine engine = LedgerEngine.open(config);
    List<Account> accounts = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      accounts.add(Account.of(UInt128.of(i), 1, 1, i <= 3 ? AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS : 0));
    }
    engine.createAccounts(accounts).toCompletableFuture().get();
    out.println("READY");
    out.flush();
    for (long b = 0; ; b++) {
      int n = 1 + rnd.nextInt(300);
      long first = base + b * 1000;
      List<Transfer> batch = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        long dr = 1 + rnd.nextInt(11); // 11 does not exist: a transient failure now and then
        long cr = 1 + rnd.nextInt(10);
        if (cr == dr) cr = dr % 10 + 1;
        int flags = rnd.nextInt(10) < 2 ? TransferFlags.PENDING : 0;
        if (rnd.nextInt(20) == 0 && i < n - 1) flags |= TransferFlags.LINKED;
        int timeout = (flags & TransferFlags.PENDING) != 0 ? rnd.nextInt(3) : 0;
        batch.add(Transfer.of(UInt128.of(first + i), UInt128.of(dr), UInt128.of(cr),
            UInt128.of(1 + rnd.nextInt(1000)), 1, 1, flags).withPending(UInt128.ZERO, timeout));
      }
      List<CreateTransfersResult> res = engine.createTransfers(batch).toCompletableFuture().get();
      StringBuilder sb = new StringBuilder("ACK ").append(first).append(' ').append(n).append(' ');
      for (CreateTransfersResult r : res) sb.append(r.index()).append(':').append(r.result().code()).append(',');
      out.println(sb);
      out.flush();
    }
  }
}
