package dev.ledgerline.ledger.engine;

/** Source of the engine's wall-clock time in nanoseconds since the epoch; injectable for tests. */
@FunctionalInterface
public interface EngineClock {
  long nowNanos();

  /** The real clock (nanosecond resolution where the platform has it). */
  EngineClock SYSTEM = () -> {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  };

  /**
   * The conformance harness's clock: always 0, so each request's timestamp is the previous one + 1 (+ its batch
   * size), and only {@code tick} moves time forward.
   */
  EngineClock TEST = () -> 0L;
}
