package dev.ledgerline.node.clustertls;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import dev.ledgerline.config.LedgerlineConfig;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * Mutual TLS for everything a node says to the cluster: the event bus (Vert.x's own TLS) and Hazelcast member
 * traffic (TLS channels plugged into open-source Hazelcast, {@link TlsNodeExtension}). Both use the same PEM files:
 * this node's certificate chain and key, and the trust store of CA certificates a peer's certificate must chain
 * to. Peers are authenticated by that chain alone, not by host name, so the trust store should hold only the
 * cluster's own CA.
 */
public final class ClusterTls {
  static final String[] PROTOCOLS = {"TLSv1.3"};

  private final LedgerlineConfig.ClusterTls files;
  private final SSLContext context;

  private ClusterTls(LedgerlineConfig.ClusterTls files, SSLContext context) {
    this.files = files;
    this.context = context;
  }

  /**
   * Reads and checks the PEM files now, so a missing or unreadable file stops the node before it joins anything.
   *
   * @throws ClusterTlsException naming the key and file that cannot be used
   */
  public static ClusterTls load(LedgerlineConfig.ClusterTls files) {
    require("cluster.tls.cert", files.cert());
    require("cluster.tls.key", files.key());
    require("cluster.tls.trust", files.trust());
    Vertx vertx = Vertx.vertx();
    try {
      var keys = keyCert(files).getKeyManagerFactory(vertx);
      var trust = trust(files).getTrustManagerFactory(vertx);
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
      return new ClusterTls(files, context);
    } catch (Exception e) {
      throw new ClusterTlsException("cluster.tls: cannot use cert " + files.cert() + ", key " + files.key()
          + " and trust " + files.trust() + ": " + e.getMessage());
    } finally {
      vertx.close();
    }
  }

  private static void require(String key, String file) {
    if (file.isEmpty()) {
      throw new ClusterTlsException("invalid configuration: " + key + " is required when cluster.tls.enabled is true"
          + " (a PEM file)");
    }
    if (!Files.isReadable(Path.of(file))) {
      throw new ClusterTlsException("invalid configuration: " + key + " = \"" + file + "\" is not a readable file");
    }
  }

  private static PemKeyCertOptions keyCert(LedgerlineConfig.ClusterTls files) {
    return new PemKeyCertOptions().setCertPath(files.cert()).setKeyPath(files.key());
  }

  private static PemTrustOptions trust(LedgerlineConfig.ClusterTls files) {
    return new PemTrustOptions().addCertPath(files.trust());
  }

  /** Event-bus TLS: this node's certificate on both ends, and a trusted certificate required from every peer. */
  public EventBusOptions applyTo(EventBusOptions options) {
    // Paths, not loaded factories: Vert.x copies these options through JSON for the event bus's client and server.
    return options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(keyCert(files)).setTrustOptions(trust(files))
        .setEnabledSecureTransportProtocols(Set.of(PROTOCOLS));
  }

  /** A Hazelcast member whose every member connection is mutual TLS. */
  public HazelcastInstance newHazelcast(Config config) {
    return HazelcastInstanceFactory.newHazelcastInstance(config, config.getInstanceName(),
        new TlsNodeExtension.Context(context));
  }
}
