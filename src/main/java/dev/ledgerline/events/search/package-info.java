/**
 * The transaction search index ({@code transaction_search}): {@link dev.ledgerline.events.search.TransferIndexer}
 * keeps plain transfers in it from the committed-transfer feed (payments come from {@code transaction.updated}),
 * {@link dev.ledgerline.events.search.TransactionSearch} queries it, {@link dev.ledgerline.events.search.SearchReindex}
 * rebuilds it. docs/search.md.
 */
package dev.ledgerline.events.search;
