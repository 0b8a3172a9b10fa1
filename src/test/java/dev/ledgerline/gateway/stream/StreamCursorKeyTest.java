package dev.ledgerline.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.auth.AuthConfigException;
import dev.ledgerline.infra.DataServices;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.testing.SharedPostgres;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Where the stream cursors' key comes from: configuration, else one random key every gateway reads from PostgreSQL. */
@ExtendWith(VertxExtension.class)
class StreamCursorKeyTest {
  @TempDir Path dir;

  private static LedgerlineConfig.Feed feed(String key, String file) {
    return new LedgerlineConfig.Feed(Duration.ofSeconds(1), Duration.ofMillis(25), Duration.ofHours(24), key,
        file);
  }

  @Test
  void withoutAConfiguredKeyEveryGatewayUsesTheSameGeneratedOne(Vertx vertx) throws Exception {
    DataServices pg = SharedPostgres.server("ledgerline-lease-pg");
    StreamCursorKey one = StreamCursorKey.create(vertx, feed("", ""), pg.pool());
    StreamCursorKey two = StreamCursorKey.create(vertx, feed("", ""), pg.pool());
    one.start().await();
    two.start().await();
    String cursor = one.current().encode(UInt128.of(7), 123);
    assertThat(two.current().decode(cursor).account()).isEqualTo(UInt128.of(7));
    assertThat(two.current().decode(cursor).timestamp()).isEqualTo(123);
    byte[] stored = pg.pool().query("SELECT key FROM stream_cursor_key").execute().await().iterator().next()
        .getBuffer(0).getBytes();
    assertThat(stored).hasSizeGreaterThanOrEqualTo(StreamCursors.MIN_KEY_BYTES);
    assertThat(new StreamCursors(stored).decode(cursor).timestamp()).isEqualTo(123);
  }

  @Test
  void aConfiguredKeyIsUsedAndABadOneRefusesTheStart(Vertx vertx) throws Exception {
    byte[] key = new byte[32];
    key[0] = 1;
    String b64 = Base64.getEncoder().encodeToString(key);
    StreamCursorKey configured = StreamCursorKey.create(vertx, feed(b64, ""), null);
    configured.start().await();
    assertThat(new StreamCursors(key).decode(configured.current().encode(UInt128.of(1), 5)).timestamp()).isEqualTo(5);
    Path file = Files.writeString(dir.resolve("cursor.key"), b64 + "\n");
    assertThat(StreamCursorKey.configured(feed("", file.toString()))).isEqualTo(key);

    assertThatThrownBy(() -> StreamCursorKey.configured(feed(b64, file.toString())))
        .isInstanceOf(AuthConfigException.class).hasMessageContaining("not both");
    assertThatThrownBy(() -> StreamCursorKey.configured(feed(Base64.getEncoder().encodeToString(new byte[16]), "")))
        .isInstanceOf(AuthConfigException.class).hasMessageContaining("at least 32");
    assertThatThrownBy(() -> StreamCursorKey.configured(feed("not base64 !", "")))
        .isInstanceOf(AuthConfigException.class).hasMessageContaining("not base64");
    assertThatThrownBy(() -> StreamCursorKey.configured(feed("", dir.resolve("missing").toString())))
        .isInstanceOf(AuthConfigException.class).hasMessageContaining("cannot be read");
  }
}
