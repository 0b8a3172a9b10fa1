/**
 * External payment providers behind circuit breakers: {@link dev.ledgerline.providers.PaymentProvider}, its Plaid
 * implementation ({@link dev.ledgerline.providers.PlaidClient}), the breaker every call goes through
 * ({@link dev.ledgerline.providers.ProviderBreaker}), balance reads that fall back to the last good value
 * ({@link dev.ledgerline.providers.BalanceReads}), and the Plaid-compatible sandbox in {@code providers.sandbox}.
 */
package dev.ledgerline.providers;
