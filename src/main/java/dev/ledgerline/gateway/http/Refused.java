package dev.ledgerline.gateway.http;

/** Ends a route with a prepared answer (e.g. an authorization refusal with extension members). No stack trace. */
public final class Refused extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Reply reply;

  public Refused(Reply reply) {
    super("refused with " + reply.status(), null, false, false);
    this.reply = reply;
  }

  public Reply reply() {
    return reply;
  }
}
