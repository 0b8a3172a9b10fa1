/**
 * Every picocli subcommand of the {@code ledgerline} binary ({@link dev.ledgerline.Ledgerline} is the root): run,
 * dev-certs, token, conformance, verify, chaos; the benchmarks are under {@code bench}.
 */
package dev.ledgerline.cli;
