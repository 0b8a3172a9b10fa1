/**
 * Secure token storage: provider access tokens encrypted with AES-256-GCM (JCA) under a versioned key ring, in
 * PostgreSQL ({@code vault_tokens}). {@link dev.ledgerline.vault.TokenVault} stores, retrieves and deletes tokens;
 * {@link dev.ledgerline.vault.KeyRing} holds the keys from {@code vault.*}; {@link dev.ledgerline.vault.KeyRotation}
 * re-encrypts rows under the active key ({@code ledgerline vault rotate}). Design: docs/vault.md.
 */
package dev.ledgerline.vault;
