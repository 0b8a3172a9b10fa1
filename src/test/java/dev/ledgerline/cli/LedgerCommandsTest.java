package dev.ledgerline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.ledger.engine.EngineConfig;
import dev.ledgerline.ledger.engine.LedgerEngine;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerCommandsTest {

  @TempDir
  Path dir;

  private record Run(int exit, String out) {}

  private static Run run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      int exit = Ledgerline.commandLine().execute(args);
      return new Run(exit, bytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }

  @Test
  void conformancePrintsOneLinePerCaseAndTheSummary() throws Exception {
    Path cases = Path.of(getClass().getResource("/conformance").toURI());
    Run r = run("conformance", cases.toString());
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out()).contains("PASS post/void edge cases").contains("8 passed, 0 failed, 0 skipped");
  }

  @Test
  void conformanceExitsOneOnAFailure() throws Exception {
    Files.writeString(dir.resolve("bad.json"), """
        {"name": "bad", "requires": [], "steps": [
          {"op": "lookup_accounts", "ids": ["1"], "found": [{"id": "1", "debits_pending": "0",
           "debits_posted": "0", "credits_pending": "0", "credits_posted": "0"}]}]}
        """);
    Run r = run("conformance", dir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("FAIL bad: step 1 (lookup_accounts)").contains("0 passed, 1 failed, 0 skipped");
  }

  @Test
  void verifyIsCleanOnAHealthyDirectoryAndFailsOnCorruption() throws Exception {
    Path data = dir.resolve("ledger");
    try (LedgerEngine e = LedgerEngine.open(EngineConfig.of(data))) {
      e.createAccounts(List.of(Account.of(UInt128.of(1), 1, 1, 0), Account.of(UInt128.of(2), 1, 1, 0)))
          .toCompletableFuture().get();
      e.createTransfers(List.of(Transfer.of(UInt128.of(9), UInt128.of(1), UInt128.of(2), UInt128.of(5), 1, 1, 0)))
          .toCompletableFuture().get();
    }
    Run clean = run("verify", data.toString());
    assertThat(clean.exit()).as(clean.out()).isZero();
    assertThat(clean.out()).contains("transfers: 1").contains("CLEAN");

    // The first segment (closed at the closing snapshot): flip a bit in its first record's body.
    try (RandomAccessFile f = new RandomAccessFile(data.resolve("ledger-00000000000000000001.wal").toFile(), "rw")) {
      f.seek(64 + 32 + 40);
      int b = f.read();
      f.seek(64 + 32 + 40);
      f.write(b ^ 1);
    }
    Run broken = run("verify", data.toString());
    assertThat(broken.exit()).isEqualTo(1);
    assertThat(broken.out()).contains("VIOLATION").contains("byte offset 64").contains("FAILED");
  }
}
