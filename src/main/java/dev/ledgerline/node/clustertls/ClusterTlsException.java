package dev.ledgerline.node.clustertls;

/** Cluster TLS is misconfigured or its files cannot be used; the node refuses to start (exit 2). */
public final class ClusterTlsException extends dev.ledgerline.node.NodeRefusedException {
  public ClusterTlsException(String message) {
    super(message);
  }
}
