package dev.ledgerline.node;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.node.clustertls.ClusterTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the Hazelcast configuration: the base file, then this node's name, interface, port and members. */
public final class ClusterSetup {
  private ClusterSetup() {}

  public static Config hazelcastConfig(LedgerlineConfig.Cluster cluster) {
    Config config;
    try (InputStream in = open(cluster.configFile())) {
      config = new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Hazelcast configuration " + cluster.configFile(), e);
    }
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.socket.bind.any", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    var network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.getInterfaces().clear().setEnabled(true).addInterface(cluster.host());
    var join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).clear().setMembers(cluster.members());
    return config;
  }

  /**
   * The cluster's TLS, or null when it is off. Off is refused unless Hazelcast and the event bus bind loopback
   * only: the cluster has no other authentication, and anyone who reaches those ports could join it.
   */
  static ClusterTls tls(LedgerlineConfig.Cluster cluster) {
    if (cluster.tls().enabled()) {
      return ClusterTls.load(cluster.tls());
    }
    if (!ListenerAddress.isLoopback(cluster.host())) {
      throw new NodeRefusedException("invalid configuration: cluster.host = \"" + cluster.host() + "\" is not a"
          + " loopback address, so cluster.tls.enabled must be true (with cluster.tls.cert, key and trust): without"
          + " it anyone who can reach the Hazelcast or event-bus port can join the cluster");
    }
    return null;
  }

  /** The file when it exists, else the copy in the jar (same relative path). */
  private static InputStream open(String configFile) throws IOException {
    Path path = Path.of(configFile);
    if (Files.isRegularFile(path)) {
      return Files.newInputStream(path);
    }
    InputStream in = ClusterSetup.class.getClassLoader().getResourceAsStream(configFile);
    if (in == null) {
      throw new IOException("not found as a file or in the jar");
    }
    return in;
  }
}
