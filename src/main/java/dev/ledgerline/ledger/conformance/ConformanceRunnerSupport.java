package dev.ledgerline.ledger.conformance;

import java.nio.file.Path;

/** Small file helpers shared by the ledger commands. */
public final class ConformanceRunnerSupport {
  private ConformanceRunnerSupport() {}

  public static void deleteRecursively(Path p) {
    ConformanceRunner.deleteRecursively(p);
  }
}
