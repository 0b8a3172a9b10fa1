package dev.ledgerline.ledger.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.ConfigException;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.TestData;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ledger.wire.*}: the listener's safety rules and mutual TLS. A non-loopback host needs TLS or an explicit
 * {@code allow-plaintext}; with TLS a client must present a certificate the listener trusts.
 */
class WireListenerTest {
  private static final int TLS_PORT = FreePorts.next();

  @RegisterExtension
  static final NodeExtension NODE = NodeExtension.node().roles("ledger")
      .set("ledger.wire.enabled", "true").set("ledger.wire.port", String.valueOf(TLS_PORT))
      .set("ledger.wire.cluster-id", "7")
      .set("ledger.wire.tls.enabled", "true").set("ledger.wire.tls.cert", file("node.pem"))
      .set("ledger.wire.tls.key", file("node.key")).set("ledger.wire.tls.trust", file("cluster-ca.pem")).build();

  private static String file(String name) {
    return TestData.resource("/cluster-tls/" + name);
  }

  private static LedgerlineConfig.LedgerWire wire(Map<String, String> keys) {
    return NodeExtension.configWith(keys).current().ledgerWire();
  }

  @Test
  void defaultsAreOffOnLoopbackPort3000ClusterZero() {
    LedgerlineConfig.LedgerWire w = wire(Map.of());
    assertThat(w.enabled()).isFalse();
    assertThat(w.host()).isEqualTo("127.0.0.1");
    assertThat(w.port()).isEqualTo(3000);
    assertThat(w.clusterId()).isEqualTo("0");
    assertThat(w.allowPlaintext()).isFalse();
    assertThat(w.tls().enabled()).isFalse();
  }

  @Test
  void aPublicHostWithoutTlsOrAllowPlaintextIsRefused() {
    assertThatThrownBy(() -> wire(Map.of("ledger.wire.enabled", "true", "ledger.wire.host", "0.0.0.0")))
        .isInstanceOf(ConfigException.class).satisfies(e -> {
          assertThat(((ConfigException) e).key()).isEqualTo("ledger.wire.host");
          assertThat(e.getMessage()).doesNotContain("\n").contains("allow-plaintext").contains("tls");
        });
    assertThat(wire(Map.of("ledger.wire.enabled", "true", "ledger.wire.host", "0.0.0.0",
        "ledger.wire.allow-plaintext", "true")).loopback()).isFalse();
    assertThat(wire(Map.of("ledger.wire.enabled", "true", "ledger.wire.host", "localhost")).loopback()).isTrue();
    assertThat(wire(Map.of("ledger.wire.enabled", "true", "ledger.wire.host", "[::1]")).loopback()).isTrue();
  }

  @Test
  void tlsWithoutItsFilesAndAClusterIdBeyondU128AreRefused() {
    assertThatThrownBy(() -> wire(Map.of("ledger.wire.tls.enabled", "true")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ledger.wire.tls.trust");
    assertThatThrownBy(() -> wire(Map.of("ledger.wire.cluster-id", "340282366920938463463374607431768211456")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ledger.wire.cluster-id");
  }

  /** Sends a ping over TLS (with or without a client certificate); completes with the first answer's bytes. */
  private static Buffer ping(boolean clientCertificate) {
    NetClientOptions options = new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("")
        .setTrustOptions(new PemTrustOptions().addCertPath(file("cluster-ca.pem")));
    if (clientCertificate) {
      options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(file("node.pem")).setKeyPath(file("node.key")));
    }
    var client = NODE.client().createNetClient(options);
    try {
      // Handlers are set in the connect callback: with TLS 1.3 a refusal can arrive right after the handshake.
      return client.connect(TLS_PORT, "127.0.0.1").compose(socket -> {
        Promise<Buffer> answer = Promise.promise();
        Buffer received = Buffer.buffer();
        socket.handler(b -> {
          received.appendBuffer(b);
          if (received.length() >= WireHeader.SIZE) answer.tryComplete(received);
        });
        socket.closeHandler(v -> answer.tryComplete(received));
        socket.write(Buffer.buffer(WireHeader.ping(UInt128.of(7), WireProtocol.RELEASE, UInt128.of(3), 11).bytes()));
        return answer.future();
      }).timeout(20, TimeUnit.SECONDS).await();
    } catch (Exception e) {
      // A refused handshake may also fail the connect itself: no answer either way.
      return Buffer.buffer();
    } finally {
      client.close();
    }
  }

  @Test
  void mutualTlsAnswersATrustedClientAndNobodyElse() {
    Buffer pong = ping(true);
    assertThat(pong.length()).isEqualTo(WireHeader.SIZE);
    assertThat(WireHeader.wrap(pong.getBytes()).command()).isEqualTo(WireHeader.PONG_CLIENT_COMMAND);
    assertThat(ping(false).length()).as("no client certificate, no answer").isZero();
  }
}
