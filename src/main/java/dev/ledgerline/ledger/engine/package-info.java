/**
 * The embedded ledger engine: TigerBeetle 0.16.30's semantics in process.
 *
 * <ul>
 *   <li>{@link dev.ledgerline.ledger.engine.StateMachine}: pure and deterministic; whole batches with their prepare
 *       timestamp in, failures out. Compact primitive storage (128-byte records in {@code long[]} chunks,
 *       open-addressing id indexes, block-pooled per-account transfer lists).</li>
 *   <li>{@link dev.ledgerline.ledger.engine.LedgerEngine}: the {@link dev.ledgerline.ledger.LedgerBackend}. One
 *       engine thread executes requests; a log thread appends each state change (create batch, expiry pulse, test
 *       balance setup, fencing epoch) to the CRC32C-checksummed write-ahead log ({@link
 *       dev.ledgerline.ledger.engine.Wal}: segments, groups sealed by commit markers) and fsyncs before any result
 *       is returned (group commit); snapshots are written in the background from a consistent view, bound the
 *       replay on start and let covered log segments go.</li>
 *   <li>{@link dev.ledgerline.ledger.engine.LedgerVerifier}: offline replay and invariant checks
 *       ({@code ledgerline verify}).</li>
 * </ul>
 *
 * <p>Data directory: {@code ledger-<first op>.wal} (the log's segments since the older kept snapshot), each with its
 * {@code ledger-<first op>.commits} (the second copy of its groups' commit markers, {@link
 * dev.ledgerline.ledger.engine.CommitFile}), {@code snapshot-<op>.snap} (the two newest snapshots), {@code ledger.lock}, and {@code archive/} (covered
 * segments, with {@code ledger.wal.archive}). {@code verify} replays from the older snapshot.
 */
package dev.ledgerline.ledger.engine;
