package dev.ledgerline.vault;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.testing.SharedPostgres;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * One embedded PostgreSQL for the vault tests of a JVM, emptied before each test, and every log line of the test
 * class captured (the vault's own loggers at TRACE), so a test can prove no token reached the logs. Register it
 * static: {@code @RegisterExtension static final VaultPostgres db = new VaultPostgres();}.
 */
final class VaultPostgres implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  static final byte[] K1 = filled(1);
  static final byte[] K2 = filled(2);

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Logger vaultLogger = (Logger) LoggerFactory.getLogger("dev.ledgerline.vault");
  private Level vaultLevel;

  private static byte[] filled(int b) {
    byte[] key = new byte[32];
    java.util.Arrays.fill(key, (byte) b);
    return key;
  }

  static DataServices server() {
    return SharedPostgres.server("ledgerline-vault-pg");
  }

  Pool pool() {
    return server().pool();
  }

  static KeyRing ring(String active, String... ids) {
    Map<String, byte[]> keys = new java.util.LinkedHashMap<>();
    for (String id : ids) {
      keys.put(id, id.equals("k1") ? K1 : id.equals("k2") ? K2 : filled(id.hashCode()));
    }
    return KeyRing.of(active, keys);
  }

  TokenVault vault(KeyRing ring) {
    return TokenVault.open(pool(), ring).await();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server();
    vaultLevel = vaultLogger.getLevel();
    vaultLogger.setLevel(Level.TRACE);
    logs.start();
    root.addAppender(logs);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    pool().query("TRUNCATE vault_tokens, vault_keys").execute().await();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    root.detachAppender(logs);
    vaultLogger.setLevel(vaultLevel);
  }

  /** Every captured line with its exceptions' messages, as text. */
  synchronized List<String> logText() {
    List<String> out = new ArrayList<>();
    for (ILoggingEvent e : List.copyOf(logs.list)) {
      StringBuilder line = new StringBuilder(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      out.add(line.toString());
    }
    return out;
  }
}
