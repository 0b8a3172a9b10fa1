package dev.ledgerline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.Ledgerline;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.junit5.VertxExtension;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** dev-certs writes a CA and node files that pass a real mutual-TLS handshake, with keys only the user can read. */
@ExtendWith(VertxExtension.class)
class DevCertsCommandTest {

  @Test
  void writesACaAndNodeCertificatesThatAuthenticateEachOther(@TempDir Path dir, Vertx vertx) throws Exception {
    StringWriter err = new StringWriter();
    int code = Ledgerline.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
        .execute("dev-certs", "--out", dir.toString(), "--nodes", "2");
    assertThat(code).as(err.toString()).isZero();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()))
          .containsExactlyInAnyOrder("ca.pem", "node-1.pem", "node-1.key", "node-2.pem", "node-2.key");
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("node-1.key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    List<X509Certificate> chain = certificates(dir.resolve("node-1.pem"));
    X509Certificate ca = certificates(dir.resolve("ca.pem")).get(0);
    assertThat(chain).hasSize(2);
    chain.get(0).verify(ca.getPublicKey());
    assertThat(chain.get(0).getSubjectX500Principal().getName()).isEqualTo("CN=node-1");

    // node-1 serves, node-2 connects, each must show a certificate the other trusts.
    NetServer server = vertx.createNetServer(new NetServerOptions().setSsl(true).setClientAuth(ClientAuth.REQUIRED)
        .setKeyCertOptions(keys(dir, "node-1")).setTrustOptions(trust(dir)))
        .connectHandler(s -> s.write("ok")).listen(0, "127.0.0.1").await();
    NetSocket socket = vertx.createNetClient(new NetClientOptions().setSsl(true)
        .setHostnameVerificationAlgorithm("HTTPS").setKeyCertOptions(keys(dir, "node-2"))
        .setTrustOptions(trust(dir))).connect(server.actualPort(), "127.0.0.1").await();
    assertThat(((X509Certificate) socket.peerCertificates().get(0)).getSubjectX500Principal().getName())
        .isEqualTo("CN=node-1");
    socket.close().await();
  }

  private static PemKeyCertOptions keys(Path dir, String node) {
    return new PemKeyCertOptions().setCertPath(dir.resolve(node + ".pem").toString())
        .setKeyPath(dir.resolve(node + ".key").toString());
  }

  private static PemTrustOptions trust(Path dir) {
    return new PemTrustOptions().addCertPath(dir.resolve("ca.pem").toString());
  }

  @SuppressWarnings("unchecked")
  private static List<X509Certificate> certificates(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (List<X509Certificate>) CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
  }
}
