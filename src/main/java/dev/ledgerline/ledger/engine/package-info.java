/**
 * The embedded ledger engine: TigerBeetle 0.16.30's semantics in process.
 *
 * <ul>
 *   <li>{@link dev.ledgerline.ledger.engine.StateMachine}: pure and deterministic; whole batches with their prepare
 *       timestamp in, failures out. Compact primitive storage (128-byte records in {@code long[]} chunks,
 *       open-addressing id indexes, block-pooled per-account transfer lists).</li>
 *   <li>{@link dev.ledgerline.ledger.engine.LedgerEngine}: the {@link dev.ledgerline.ledger.LedgerBackend}. One
 *       engine thread executes requests; a log thread appends each state change (create batch, expiry pulse, test
 *       balance setup) to the CRC32C-checksummed write-ahead log and fsyncs before any result is returned (group
 *       commit); snapshots are written in the background from a consistent view and bound the replay on start.</li>
 *   <li>{@link dev.ledgerline.ledger.engine.LedgerVerifier}: offline replay and invariant checks
 *       ({@code ledgerline verify}).</li>
 * </ul>
 *
 * <p>Data directory: {@code ledger.wal} (the log), {@code snapshot-<op>.snap} (the latest snapshot) and
 * {@code ledger.lock}. The log is kept whole (it is what {@code verify} replays); compaction is not implemented.
 */
package dev.ledgerline.ledger.engine;
