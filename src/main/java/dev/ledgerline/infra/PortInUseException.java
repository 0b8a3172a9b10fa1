package dev.ledgerline.infra;

/** An embedded server could not bind its configured loopback port because something else holds it. */
public final class PortInUseException extends DataServiceException {

  private final String service;
  private final int port;

  public PortInUseException(String service, int port) {
    super(service + " cannot listen on 127.0.0.1:" + port + ": the port is already in use."
        + " Stop whatever holds it or configure another port (0 picks a free one).");
    this.service = service;
    this.port = port;
  }

  /** The server's name as in the message, e.g. "Embedded PostgreSQL". */
  public String service() {
    return service;
  }

  public int port() {
    return port;
  }
}
