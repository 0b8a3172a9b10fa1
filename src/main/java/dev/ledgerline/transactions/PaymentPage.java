package dev.ledgerline.transactions;

import java.util.List;

/** One page of a user's payments, newest first; {@code nextCursor} is null on the last page. */
public record PaymentPage(List<Payment> payments, String nextCursor) {}
