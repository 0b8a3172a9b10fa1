/**
 * Who may touch what: account ownership (cached owner rows) and the object-level authorization of transfers
 * (caller x ownership x flags), including which ledger results a caller may see. Nothing here knows about routing.
 */
package dev.ledgerline.gateway.access;
