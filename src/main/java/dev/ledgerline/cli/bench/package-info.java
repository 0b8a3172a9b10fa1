/** {@code ledgerline bench}: load generators for the ledger engine, the ledger verticle and the HTTP API. */
package dev.ledgerline.cli.bench;
