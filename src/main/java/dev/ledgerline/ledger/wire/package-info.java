/**
 * TigerBeetle 0.16.30's client protocol on the ledger node ({@code ledger.wire.*}, docs/tigerbeetle-wire.md): official
 * TigerBeetle clients see a one-replica cluster whose state machine is the ledger behind the {@link
 * dev.ledgerline.ledger.LedgerBatcher}.
 *
 * <ul>
 *   <li>{@link dev.ledgerline.ledger.wire.Aegis128L}: the checksum of headers and bodies;</li>
 *   <li>{@link dev.ledgerline.ledger.wire.WireHeader}: the 256-byte header, its validation and the replies;</li>
 *   <li>{@code FrameParser}: a TCP stream into checked messages;</li>
 *   <li>{@link dev.ledgerline.ledger.wire.WireProtocol}: sessions, the reply cache, request chaining, evictions;</li>
 *   <li>{@link dev.ledgerline.ledger.wire.BatcherLedger}: requests into the batcher and the backend;</li>
 *   <li>{@link dev.ledgerline.ledger.wire.WireServer}: the listener, optionally with mutual TLS.</li>
 * </ul>
 */
package dev.ledgerline.ledger.wire;
