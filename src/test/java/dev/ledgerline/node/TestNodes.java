package dev.ledgerline.node;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.Health;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.TestData;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The former start-up helpers, kept only for the gateway tests until they declare a {@link NodeExtension}; each
 * method says where its replacement lives. New tests use {@code dev.ledgerline.testing}.
 */
public final class TestNodes {
  private TestNodes() {}

  /** {@link FreePorts#next()}. */
  public static int freePort() {
    return FreePorts.next();
  }

  /** {@link NodeExtension#configWith(Map)}. */
  public static ConfigService config(Map<String, String> sets) {
    return NodeExtension.configWith(sets);
  }

  /** {@link TestData#tempRoot(String)}. */
  public static Path tempDataRoot(String prefix) {
    return TestData.tempRoot(prefix);
  }

  /** {@link NodeExtension#start(Map)}, which also stops the node. */
  public static Node start(Map<String, String> sets) {
    return new Node(config(sets)).start().await();
  }

  /** {@link Health#get}. */
  public static Map.Entry<Integer, JsonObject> get(Vertx vertx, int port, String path) {
    return Health.get(vertx, port, path);
  }

  /** {@link Poll#until}. */
  public static void await(Duration timeout, BooleanSupplier condition) {
    Poll.until(timeout, "condition", condition::getAsBoolean);
  }

  /** {@link Health#check}. */
  public static JsonObject check(JsonObject health, String id) {
    return Health.check(health, id);
  }
}
