package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.InvalidUrlException;
import dev.ledgerline.infra.redis.RedisSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PostgresUrlTest {

  @Test
  void parsesAllParts() {
    PostgresUrl url = PostgresUrl.parse("postgresql://app:s3cret@db.example:6543/payments");
    assertThat(url).isEqualTo(new PostgresUrl("db.example", 6543, "payments", "app", "s3cret"));
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/payments");
    assertThat(url.connectOptions().getPort()).isEqualTo(6543);
    assertThat(url.connectOptions().getPassword()).isEqualTo("s3cret");
  }

  @Test
  void defaultsThePortAndAcceptsThePostgresScheme() {
    PostgresUrl url = PostgresUrl.parse("postgres://app@localhost/payments");
    assertThat(url.port()).isEqualTo(5432);
    assertThat(url.password()).isNull();
  }

  @Test
  void roundTripsSpecialCharactersInCredentials() {
    PostgresUrl url = new PostgresUrl("::1", 5432, "db", "us:er", "p@ss/w+rd%é");
    assertThat(url.url()).contains("[::1]");
    assertThat(PostgresUrl.parse(url.url())).isEqualTo(url);
  }

  @Test
  void neverPrintsThePassword() {
    PostgresUrl url = PostgresUrl.parse("postgresql://app:s3cret@host:5432/db");
    assertThat(url.toString()).isEqualTo("postgresql://app:***@host:5432/db").doesNotContain("s3cret");
    assertThat(PostgresSettings.external(url.url()).toString()).doesNotContain("s3cret");
    assertThat(PostgresSettings.embedded().withPassword("s3cret").toString()).doesNotContain("s3cret");
    assertThat(RedisSettings.external("redis://:s3cret@host:6379").toString()).doesNotContain("s3cret");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "http://app:x@host/db", "postgresql://host/db", "postgresql://app:x@host",
      "postgresql://app:x@host/", "postgresql://app:x@host/db/extra", "postgresql://app:x@host/db?sslmode=require",
      "postgresql://app:x@host:99999/db", "postgresql://app:%zz@host/db", "not a url"})
  void rejectsBadPostgresUrls(String bad) {
    assertThatThrownBy(() -> PostgresSettings.external(bad)).isInstanceOf(InvalidUrlException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "http://host:6379", "redis://", "redis://host:6379/abc", "redis ://x"})
  void rejectsBadRedisUrls(String bad) {
    assertThatThrownBy(() -> RedisSettings.external(bad)).isInstanceOf(InvalidUrlException.class);
  }

  @Test
  void validatesEmbeddedSettings() {
    assertThatThrownBy(() -> PostgresSettings.embedded().withDatabase("Robert'); DROP"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PostgresSettings.embedded().withPort(70000)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PostgresSettings.embedded().withPoolSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisSettings.embedded().withPort(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(PostgresSettings.embedded().dataDir()).isEqualTo(PostgresSettings.DEFAULT_DATA_DIR);
  }
}
