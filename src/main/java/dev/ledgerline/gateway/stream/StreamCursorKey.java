package dev.ledgerline.gateway.stream;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.auth.AuthConfigException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key of {@link StreamCursors}, which every gateway of a cluster must share (a client may resume on any node).
 * Configured ({@code feed.cursor-key}, best through the environment, or {@code feed.cursor-key-file}), else 32
 * random bytes that the first gateway stores in PostgreSQL ({@code stream_cursor_key}) and every other reads: never
 * a built-in constant. Until a PostgreSQL key has been read (PostgreSQL down at start), it is asked again every few
 * seconds and frames go without a cursor.
 */
public final class StreamCursorKey {
  private static final Logger LOG = LoggerFactory.getLogger(StreamCursorKey.class);
  private static final long RETRY_MS = 2000;

  private final Vertx vertx;
  private final Pool pool;
  private volatile StreamCursors cursors;
  private long retryTimer = -1;
  private volatile boolean closed;

  private StreamCursorKey(Vertx vertx, Pool pool, StreamCursors configured) {
    this.vertx = vertx;
    this.pool = pool;
    this.cursors = configured;
  }

  /**
   * The configured key, or the shared one from {@code pool}. Throws {@link AuthConfigException} for both keys at
   * once, an unreadable file, a key that is not base64 or shorter than {@link StreamCursors#MIN_KEY_BYTES}.
   */
  public static StreamCursorKey create(Vertx vertx, LedgerlineConfig.Feed feed, Pool pool) {
    byte[] configured = configured(feed);
    return new StreamCursorKey(vertx, pool, configured == null ? null : new StreamCursors(configured));
  }

  static byte[] configured(LedgerlineConfig.Feed feed) {
    String key = feed.cursorKey();
    String file = feed.cursorKeyFile();
    if (!key.isEmpty() && !file.isEmpty()) {
      throw new AuthConfigException("feed.cursor-key", "invalid configuration: set feed.cursor-key or "
          + "feed.cursor-key-file, not both");
    }
    String source = "feed.cursor-key";
    if (!file.isEmpty()) {
      source = "feed.cursor-key-file";
      try {
        List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        key = lines.isEmpty() ? "" : lines.get(0).trim();
      } catch (IOException e) {
        throw new AuthConfigException(source, "invalid configuration: feed.cursor-key-file = \"" + file
            + "\" cannot be read: " + e.getMessage());
      }
      if (key.isEmpty()) {
        throw new AuthConfigException(source, "invalid configuration: feed.cursor-key-file = \"" + file
            + "\" holds no key on its first line");
      }
    }
    if (key.isEmpty()) return null;
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(key.replace('-', '+').replace('_', '/'));
    } catch (IllegalArgumentException e) {
      throw new AuthConfigException(source, "invalid configuration: " + source + " is not base64");
    }
    if (bytes.length < StreamCursors.MIN_KEY_BYTES) {
      throw new AuthConfigException(source, "invalid configuration: " + source + " has " + bytes.length
          + " bytes; at least " + StreamCursors.MIN_KEY_BYTES + " random bytes are required");
    }
    return bytes;
  }

  /** Completes after the first attempt to read the shared key (at once for a configured key); never fails. */
  public Future<Void> start() {
    if (cursors != null) return Future.succeededFuture();
    return loadShared().transform(ar -> {
      if (ar.failed()) {
        LOG.warn("stream cursor key not read from PostgreSQL ({}); stream frames carry no cursor until it is",
            ar.cause().toString());
        scheduleRetry();
      }
      return Future.succeededFuture();
    });
  }

  private void scheduleRetry() {
    if (closed) return;
    retryTimer = vertx.setTimer(RETRY_MS, t -> loadShared().onFailure(e -> scheduleRetry()));
  }

  private Future<Void> loadShared() {
    byte[] fresh = new byte[StreamCursors.MIN_KEY_BYTES];
    new SecureRandom().nextBytes(fresh);
    // The first gateway's insert wins; everyone, that one included, uses what the table holds.
    return pool.preparedQuery("INSERT INTO stream_cursor_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
        .execute(Tuple.of(Buffer.buffer(fresh)))
        .compose(v -> pool.preparedQuery("SELECT key FROM stream_cursor_key WHERE id = 1").execute())
        .map(rows -> {
          cursors = new StreamCursors(rows.iterator().next().getBuffer(0).getBytes());
          return null;
        });
  }

  /** The cursors, or null while no key is known yet. */
  public StreamCursors current() {
    return cursors;
  }

  public void close() {
    closed = true;
    if (retryTimer >= 0) vertx.cancelTimer(retryTimer);
  }
}
