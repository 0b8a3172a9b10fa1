package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.config.ConfigService;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevKeysAndTokenCommandTest {
  private Vertx vertx;
  @TempDir
  Path dir;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private ConfigService config(Map<String, String> sets) {
    return ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), sets));
  }

  private record Run(int code, String out, String err) {}

  private Run token(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = "token";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = Ledgerline.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(all);
    return new Run(code, out.toString().strip(), err.toString().strip());
  }

  @Test
  void embeddedDefaultsGenerateOwnerOnlyDevKeysThatTheTokenCommandSignsWith() throws Exception {
    Path data = dir.resolve("data");
    JwtAuthenticator auth = JwtAuthenticator.create(vertx, config(Map.of("node.data-dir", data.toString()))
        .current());
    assertThat(auth.keys().isDevelopment()).isTrue();
    Path key = DevKeys.privateKeyFile(data);
    assertThat(key).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent()))).isEqualTo("rwx------");
    String before = Files.readString(key);

    Instant issuedFrom = Instant.now();
    Run run = token("--sub", "alice", "--roles", "user,admin", "--ttl", "1h", "--set",
        "node.data-dir=" + data);
    Instant issuedTo = Instant.now();
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
    Principal p = auth.authenticate(run.out()).await();
    assertThat(p.subject()).isEqualTo("alice");
    assertThat(p.roles()).containsExactlyInAnyOrder(Role.USER, Role.ADMIN);
    assertThat(p.jti()).isNotBlank();
    // Issued while the command ran; exp has whole seconds.
    assertThat(p.expiresAt()).isBetween(
        issuedFrom.plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS), issuedTo.plusSeconds(3600));
    assertThat(Files.readString(key)).as("the key is made once and reused").isEqualTo(before);

    // A second token has its own jti.
    String other = token("--sub", "alice", "--set", "node.data-dir=" + data).out();
    assertThat(auth.authenticate(other).await().jti()).isNotEqualTo(p.jti());
  }

  @Test
  void devKeysAreNotUsedOnceRealKeysAreConfigured() throws Exception {
    KeyPair ec = TestKeys.ec();
    Path pub = TestKeys.writePublicPem(dir, "ec.pem", ec);
    Path data = dir.resolve("data");
    var cfg = config(Map.of("node.data-dir", data.toString(), "auth.jwt.public-keys", pub.toString())).current();
    JwtAuthenticator auth = JwtAuthenticator.create(vertx, cfg);
    assertThat(auth.keys().isDevelopment()).isFalse();
    assertThat(data.resolve("keys")).doesNotExist();
    Run noSigner = token("--sub", "bob", "--set", "node.data-dir=" + data, "--set", "auth.jwt.public-keys=" + pub);
    assertThat(noSigner.code()).isEqualTo(2);
    assertThat(noSigner.err()).contains("auth.jwt.private-key");

    Path priv = TestKeys.writePrivatePem(dir, "ec-private.pem", ec);
    Run signed = token("--sub", "bob", "--roles", "operator", "--set", "node.data-dir=" + data, "--set",
        "auth.jwt.public-keys=" + pub, "--set", "auth.jwt.private-key=" + priv);
    assertThat(signed.code()).as(signed.err()).isZero();
    assertThat(auth.authenticate(signed.out()).await().roles()).containsExactly(Role.OPERATOR);
  }

  @Test
  void devKeysOffAndNoKeysRefuses() {
    var cfg = config(Map.of("node.data-dir", dir.toString(), "auth.jwt.dev-keys", "false")).current();
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx, cfg)).isInstanceOf(NoVerificationKeysException.class);
    Run run = token("--sub", "alice", "--set", "node.data-dir=" + dir, "--set", "auth.jwt.dev-keys=false");
    assertThat(run.code()).isEqualTo(2);
  }

  @Test
  void badArgumentsExit2() {
    assertThat(token("--sub", "alice", "--roles", "root", "--set", "node.data-dir=" + dir).code()).isEqualTo(2);
    assertThat(token("--sub", "alice", "--ttl", "forever", "--set", "node.data-dir=" + dir).code()).isEqualTo(2);
    assertThat(token("--sub", "alice", "--set", "auth.jwt.leeway=1h").code()).isEqualTo(2);
    assertThat(token("--roles", "user").code()).isEqualTo(2); // --sub is required
  }
}
