package dev.ledgerline.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.auth.TokenSources.Source;
import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

class TokenSourcesTest {
  private static MultiMap headers(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) {
      m.add(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void handshakeTakesTheHeaderFirstThenTheQuery() {
    var header = TokenSources.ofHandshake(headers("Authorization", "Bearer abc"), "access_token=xyz");
    assertThat(header.source()).isEqualTo(Source.HEADER);
    assertThat(header.token()).isEqualTo("abc");
    var query = TokenSources.ofHandshake(headers(), "x=1&access_token=a%2Eb.c");
    assertThat(query.source()).isEqualTo(Source.QUERY);
    assertThat(query.token()).isEqualTo("a.b.c");
  }

  @Test
  void handshakeRefusesAmbiguousOrMalformedTokens() {
    assertThat(TokenSources.ofHandshake(headers(), "access_token=a&access_token=b").source())
        .isEqualTo(Source.MALFORMED);
    // A malformed header is not skipped in favour of the query.
    assertThat(TokenSources.ofHandshake(headers("Authorization", "Basic Zm9v"), "access_token=a").source())
        .isEqualTo(Source.MALFORMED);
    assertThat(TokenSources.ofHandshake(headers(), "access_token=").source()).isEqualTo(Source.NONE);
    assertThat(TokenSources.ofHandshake(headers(), null).source()).isEqualTo(Source.NONE);
    assertThat(TokenSources.ofHandshake(headers("Cookie", "ll_token=abc"), "").source()).isEqualTo(Source.NONE);
  }
}
