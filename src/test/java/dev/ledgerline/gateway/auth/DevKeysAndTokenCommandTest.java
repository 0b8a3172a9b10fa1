package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.config.ConfigResolver;
import dev.ledgerline.config.ConfigService;
import dev.ledgerline.users.Role;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(VertxExtension.class)
class DevKeysAndTokenCommandTest {
  private Vertx vertx;
  @TempDir
  Path dir;

  @BeforeEach
  void start(Vertx v) {
    vertx = v;
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

  /** auth.jwt.dev-keys × where the gateway listens, with no key configured. */
  static Stream<Arguments> devKeysPolicy() {
    return Stream.of(
        // dev-keys, gateway.host, outcome
        Arguments.of("auto", "127.0.0.1", "development key"),
        Arguments.of("auto", "localhost", "development key"),
        Arguments.of("auto", "::1", "development key"),
        Arguments.of("auto", "0.0.0.0", "refused: auth.jwt.dev-keys"),
        Arguments.of("auto", "192.0.2.10", "refused: auth.jwt.dev-keys"),
        Arguments.of("true", "127.0.0.1", "development key"),
        Arguments.of("true", "0.0.0.0", "development key"),
        Arguments.of("false", "127.0.0.1", "refused: auth.jwt.public-keys"),
        Arguments.of("false", "0.0.0.0", "refused: auth.jwt.public-keys"));
  }

  @ParameterizedTest(name = "dev-keys {0} on {1}: {2}")
  @MethodSource("devKeysPolicy")
  void devKeysFollowThePolicyAndTheGatewayHost(String devKeys, String host, String outcome) {
    Path data = dir.resolve("data");
    var cfg = config(Map.of("node.data-dir", data.toString(), "auth.jwt.dev-keys", devKeys, "gateway.host", host))
        .current();
    if (outcome.equals("development key")) {
      assertThat(JwtAuthenticator.create(vertx, cfg).keys().isDevelopment()).isTrue();
      assertThat(token("--sub", "alice", "--set", "node.data-dir=" + data, "--set", "auth.jwt.dev-keys=" + devKeys,
          "--set", "gateway.host=" + host).code()).isZero();
      return;
    }
    String key = outcome.substring("refused: ".length());
    assertThatThrownBy(() -> JwtAuthenticator.create(vertx, cfg)).isInstanceOf(AuthConfigException.class)
        .satisfies(e -> assertThat(((AuthConfigException) e).key()).isEqualTo(key))
        .hasMessageContaining(key);
    assertThat(data.resolve("keys")).as("no key generated").doesNotExist();
    Run run = token("--sub", "alice", "--set", "node.data-dir=" + data, "--set", "auth.jwt.dev-keys=" + devKeys,
        "--set", "gateway.host=" + host);
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains(key);
  }

  @Test
  void devKeysDefaultsToAutoAndAcceptsYamlBooleans() {
    ConfigResolver resolver = new ConfigResolver();
    assertThat(resolver.resolve(new JsonObject(), Map.of(), Map.of(), Map.of()).value("auth.jwt.dev-keys"))
        .isEqualTo("auto");
    for (boolean b : new boolean[] {true, false}) {
      JsonObject file = new JsonObject().put("auth", new JsonObject().put("jwt", new JsonObject()
          .put("dev-keys", b)));
      assertThat(resolver.resolve(file, Map.of(), Map.of(), Map.of()).value("auth.jwt.dev-keys"))
          .isEqualTo(String.valueOf(b));
    }
    assertThatThrownBy(() -> resolver.resolve(new JsonObject(), Map.of(), Map.of(),
        Map.of("auth.jwt.dev-keys", "yes"))).hasMessageContaining("auth.jwt.dev-keys")
        .hasMessageContaining("auto, true, false");
  }

  /**
   * Several starts on one fresh data directory at once (threads here; processes race the same way, as nothing is
   * shared in memory) end with one key pair that every one of them uses.
   */
  @Test
  void racingStartsOnAFreshDataDirectoryEndWithOneKeyPair() throws Exception {
    int racers = 6;
    Path data = dir.resolve("fresh");
    CyclicBarrier start = new CyclicBarrier(racers);
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      List<Future<PrivateKey>> keys = new ArrayList<>();
      for (int i = 0; i < racers; i++) {
        keys.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          return DevKeys.ensure(data);
        }));
      }
      Set<String> distinct = new HashSet<>();
      for (Future<PrivateKey> k : keys) {
        distinct.add(Base64.getEncoder().encodeToString(k.get(60, TimeUnit.SECONDS).getEncoded()));
      }
      assertThat(distinct).as("one key for every racer").hasSize(1);
      PrivateKey onDisk = KeyMaterial.privateKey(KeyMaterial.readPem(DevKeys.privateKeyFile(data), "PRIVATE KEY",
          "test"));
      assertThat(distinct).containsExactly(Base64.getEncoder().encodeToString(onDisk.getEncoded()));
      assertThat(Files.readString(data.resolve(DevKeys.DIR).resolve(DevKeys.PUBLIC_FILE)))
          .isEqualTo(KeyMaterial.pem("PUBLIC KEY", KeyMaterial.publicOf(onDisk).getEncoded()));
      try (Stream<Path> files = Files.list(data.resolve(DevKeys.DIR))) {
        assertThat(files.map(f -> f.getFileName().toString())).as("no temporary file left behind")
            .containsExactlyInAnyOrder(DevKeys.PRIVATE_FILE, DevKeys.PUBLIC_FILE);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void badArgumentsExit2() {
    assertThat(token("--sub", "alice", "--roles", "root", "--set", "node.data-dir=" + dir).code()).isEqualTo(2);
    assertThat(token("--sub", "alice", "--ttl", "forever", "--set", "node.data-dir=" + dir).code()).isEqualTo(2);
    assertThat(token("--sub", "alice", "--set", "auth.jwt.leeway=1h").code()).isEqualTo(2);
    assertThat(token("--roles", "user").code()).isEqualTo(2); // --sub is required
  }
}
