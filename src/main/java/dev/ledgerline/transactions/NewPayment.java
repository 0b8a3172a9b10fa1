package dev.ledgerline.transactions;

import io.vertx.core.json.JsonObject;

/** A payment to create, already validated by its caller; ids and the amount are decimal strings (u128). */
public record NewPayment(String owner, String fromAccountId, String amount, long ledger, int code, String provider,
    String linkedAccountId, String description, JsonObject metadata) {}
