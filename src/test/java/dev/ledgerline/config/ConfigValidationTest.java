package dev.ledgerline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.Ledgerline;
import dev.ledgerline.cli.RunCommand;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

class ConfigValidationTest {
  private final ConfigResolver resolver = new ConfigResolver();

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("unknown key", "gateway:\n  prot: 8080\n", "gateway.prot"),
        Arguments.of("unknown section", "gatewy:\n  port: 8080\n", "gatewy"),
        Arguments.of("wrong type", "gateway:\n  port: abc\n", "gateway.port"),
        Arguments.of("negative port", "management:\n  port: -1\n", "management.port"),
        Arguments.of("port too large", "gateway:\n  port: 70000\n", "gateway.port"),
        Arguments.of("empty member list with cluster on", "cluster:\n  enabled: true\n  members: []\n",
            "cluster.members"),
        Arguments.of("bad member", "cluster:\n  members: [\"127.0.0.1:5701-5710\"]\n", "cluster.members"),
        Arguments.of("bad mode", "postgres:\n  mode: sometimes\n", "postgres.mode"),
        Arguments.of("external without url", "redis:\n  mode: external\n", "redis.url"),
        Arguments.of("unknown role", "node:\n  roles: [gateway, banking]\n", "node.roles"),
        Arguments.of("bad duration", "node:\n  shutdown-timeout: soon\n", "node.shutdown-timeout"),
        Arguments.of("boolean as text", "cluster:\n  enabled: \"yes\"\n", "cluster.enabled"),
        Arguments.of("section as a value", "gateway: 8080\n", "gateway"),
        Arguments.of("rate limits without default",
            "gateway:\n  rate-limits:\n    transfers.create: {capacity: 5, refill-per-second: 1}\n",
            "gateway.rate-limits"),
        Arguments.of("rate limit capacity 0",
            "gateway:\n  rate-limits:\n    default: {capacity: 0, refill-per-second: 1}\n", "gateway.rate-limits"),
        Arguments.of("rate limit refill 0",
            "gateway:\n  rate-limits:\n    default: {capacity: 1, refill-per-second: 0}\n", "gateway.rate-limits"),
        Arguments.of("rate limit unknown field",
            "gateway:\n  rate-limits:\n    default: {capacity: 1, refill-per-second: 1, burst: 2}\n",
            "gateway.rate-limits"),
        Arguments.of("rate limit bad operation name",
            "gateway:\n  rate-limits:\n    default: {capacity: 1, refill-per-second: 1}\n"
                + "    \"a b\": {capacity: 1, refill-per-second: 1}\n", "gateway.rate-limits"),
        Arguments.of("bad revocation read policy", "auth:\n  revocation:\n    reads-when-unavailable: maybe\n",
            "auth.revocation.reads-when-unavailable"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void badFileStopsTheNodeWithExitCode2NamingTheKey(String name, String yaml, String key, @TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("ledgerline.yaml");
    Files.writeString(file, yaml);
    StringWriter err = new StringWriter();
    int code = Ledgerline.commandLine().setErr(new PrintWriter(err)).execute("run", "--config", file.toString());
    assertThat(code).isEqualTo(RunCommand.EXIT_CONFIG);
    String message = err.toString().strip();
    assertThat(message).doesNotContain("\n").contains(key);
  }

  @Test
  void unknownSetKeyAndBadSetValueExit2() {
    StringWriter err = new StringWriter();
    assertThat(Ledgerline.commandLine().setErr(new PrintWriter(err))
        .execute("run", "--set", "ledger.nothing=1")).isEqualTo(2);
    assertThat(err.toString()).contains("ledger.nothing");
    StringWriter err2 = new StringWriter();
    assertThat(Ledgerline.commandLine().setErr(new PrintWriter(err2))
        .execute("run", "--set", "gateway.port=0")).isEqualTo(2);
    assertThat(err2.toString()).contains("gateway.port = 0").contains("from 1 to 65535");
  }

  @Test
  void messageNamesKeyValueAndWhatIsAllowed() {
    assertThatThrownBy(() -> resolver.resolve(new JsonObject(), Map.of(),
        Map.of("LEDGERLINE_GATEWAY_PORT", "abc"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("invalid configuration: gateway.port = \"abc\" is not allowed; "
            + "expected an integer from 1 to 65535")
        .extracting(e -> ((ConfigException) e).key()).isEqualTo("gateway.port");
  }

  @Test
  void unknownEnvironmentVariableWithOurPrefixIsRefused() {
    assertThatThrownBy(() -> resolver.resolve(new JsonObject(), Map.of(),
        Map.of("LEDGERLINE_GATEWAY_PROT", "8081"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("LEDGERLINE_GATEWAY_PROT");
  }

  @Test
  void precedenceIsFileThenSystemPropertiesThenEnvironmentThenSet() {
    JsonObject file = new JsonObject().put("gateway", new JsonObject().put("port", 8001))
        .put("management", new JsonObject().put("port", 9001))
        .put("node", new JsonObject().put("id", "from-file").put("shutdown-timeout", "3s"));
    LedgerlineConfig c = resolver.resolve(file,
        Map.of("ledgerline.gateway.port", "8002", "ledgerline.management.port", "9002", "java.version", "17"),
        Map.of("LEDGERLINE_GATEWAY_PORT", "8003", "LEDGERLINE_NODE_SHUTDOWN_TIMEOUT", "7s", "PATH", "/bin"),
        Map.of("node.id", "from-set"));
    assertThat(c.gateway().port()).isEqualTo(8003);          // env beats sys and file
    assertThat(c.management().port()).isEqualTo(9002);       // sys beats file
    assertThat(c.node().shutdownTimeout()).hasSeconds(7);   // hyphenated key from env
    assertThat(c.node().id()).isEqualTo("from-set");         // --set beats all
    assertThat(c.redis().poolSize()).isEqualTo(8);           // default
  }

  @Test
  void listsFromTextAreCommaSeparatedOrJson() {
    LedgerlineConfig c = resolver.resolve(new JsonObject(), Map.of(),
        Map.of("LEDGERLINE_CLUSTER_MEMBERS", "127.0.0.1:5701, 127.0.0.1:5702",
            "LEDGERLINE_NODE_ROLES", "[\"gateway\"]"), Map.of());
    assertThat(c.cluster().members()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
    assertThat(c.node().roles()).containsExactly(LedgerlineConfig.Role.GATEWAY);
  }

  @Test
  void rateLimitsAreATypedMapWithADefaultForUnnamedOperations() {
    LedgerlineConfig c = resolver.resolve(new JsonObject(), Map.of(), Map.of("LEDGERLINE_GATEWAY_RATE_LIMITS",
        "{\"default\":{\"capacity\":7,\"refill-per-second\":0.5},"
            + "\"transfers.create\":{\"capacity\":3,\"refill-per-second\":2}}"), Map.of());
    assertThat(c.gateway().rateLimit("transfers.create")).isEqualTo(new LedgerlineConfig.RateLimit(3, 2.0));
    assertThat(c.gateway().rateLimit("accounts.read")).isEqualTo(new LedgerlineConfig.RateLimit(7, 0.5));
    assertThat(ConfigSchema.get().isReloadable("gateway.rate-limits")).isTrue();
    assertThat(resolver.resolve(new JsonObject(), Map.of(), Map.of(), Map.of())
        .value("auth.revocation.reads-when-unavailable")).isEqualTo("deny");
  }

  /** The documented file holds every key at exactly its default: the two stay in step. */
  @Test
  void shippedFileListsEveryKeyAtItsDefault() throws Exception {
    Path shipped = Path.of("conf", "ledgerline.yaml");
    Map<String, Object> yaml = new Yaml().load(Files.readString(shipped));
    JsonObject fromFile = new JsonObject(yaml);
    assertThat(fromFile).isEqualTo(ConfigSchema.get().defaults());
    String text = Files.readString(shipped);
    for (String key : ConfigSchema.get().leaves().keySet()) {
      String leaf = key.substring(key.lastIndexOf('.') + 1);
      assertThat(text).as("comment for " + key).containsPattern("(?m)^\\s+" + leaf + ":.*#.+$");
    }
  }

  /** The same check end to end: a real JVM with a bad environment variable exits 2 naming the key. */
  @Test
  void badEnvironmentVariableMakesRunExit2(@TempDir Path dir) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Ledgerline.class.getName(), "run")
        .directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("LEDGERLINE_GATEWAY_PORT", "abc");
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(out).contains("gateway.port").contains("\"abc\"");
  }
}
