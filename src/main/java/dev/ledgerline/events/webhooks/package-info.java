/**
 * Outbound webhooks per the Standard Webhooks specification: endpoints and their secrets (in the token vault), the
 * delivery log, the consumers that turn committed transfers and payment outcomes into deliveries, and the dispatcher
 * that signs and sends them with backoff, a breaker per endpoint and SSRF checks at every attempt. docs/webhooks.md.
 */
package dev.ledgerline.events.webhooks;
