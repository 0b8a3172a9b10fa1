package dev.ledgerline.events.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.net.InetAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SSRF table: each URL is refused without {@code webhooks.allow-private}, at registration ({@link UrlGuard#check})
 * and at delivery ({@link UrlGuard#resolve}, which every attempt runs before it connects to the address it checked).
 */
class UrlGuardTest {
  private static Vertx vertx;
  private static UrlGuard strict;
  private static UrlGuard lenient;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    strict = new UrlGuard(vertx, false);
    lenient = new UrlGuard(vertx, true);
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @ParameterizedTest(name = "{0} is refused ({1})")
  @CsvSource(delimiter = '|', textBlock = """
      https://127.0.0.1/hook                 | loopback
      https://127.9.9.9:8443/hook            | loopback
      https://localhost/hook                 | loopback
      https://[::1]/hook                     | loopback
      https://10.0.0.1/hook                  | private
      https://172.16.5.4/hook                | private
      https://172.31.255.255/hook            | private
      https://192.168.1.1/hook               | private
      https://169.254.169.254/latest         | link-local or metadata
      https://[fd00:ec2::254]/latest         | private (fc00::/7)
      https://[fc00::1]/hook                 | private (fc00::/7)
      https://[fe80::1]/hook                 | link-local
      https://0.0.0.0/hook                   | unspecified
      https://[::]/hook                      | unspecified
      https://224.0.0.1/hook                 | multicast
      https://[ff02::1]/hook                 | multicast
      https://100.64.0.1/hook                | carrier-grade NAT
      https://[::ffff:127.0.0.1]/hook        | loopback
      https://[::ffff:169.254.169.254]/hook  | link-local or metadata
      https://[::ffff:10.1.2.3]/hook         | private
      https://[::127.0.0.1]/hook             | IPv6 form of a loopback
      https://[64:ff9b::a9fe:a9fe]/hook      | IPv6 form of a link-local
      https://[2002:7f00:1::]/hook           | IPv6 form of a loopback
      https://2130706433/hook                | loopback
      """)
  void nonPublicAddressesAreRefusedAtRegistrationAndAtDelivery(String url, String kind) {
    assertThatThrownBy(() -> strict.check(url).await()).isInstanceOf(WebhookUrlException.class)
        .hasMessageContaining(kind);
    UrlGuard.Target target = strict.parse(url);
    assertThatThrownBy(() -> strict.resolve(target).await()).isInstanceOf(WebhookUrlException.class);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      http://93.184.216.34/hook              | must be an https URL
      ftp://93.184.216.34/hook               | must be an https URL
      https://user:pw@93.184.216.34/hook     | must not carry credentials
      https://93.184.216.34/hook#frag        | must not have a fragment
      /relative                              | must be an https URL
      https:///nohost                        | must name a host
      'https://exa mple.com/'                | is not a URL
      """)
  void malformedUrlsAreRefused(String url, String message) {
    assertThatThrownBy(() -> strict.parse(url)).isInstanceOf(WebhookUrlException.class)
        .hasMessageContaining(message);
  }

  @Test
  void aPublicAddressPassesAndIsWhatTheAttemptConnectsTo() {
    UrlGuard.Target t = strict.parse("https://93.184.216.34:8443/in?x=1");
    assertThat(t.tls()).isTrue();
    assertThat(t.port()).isEqualTo(8443);
    assertThat(t.requestUri()).isEqualTo("/in?x=1");
    assertThat(strict.resolve(t).await().getHostAddress()).isEqualTo("93.184.216.34");
    assertThat(UrlGuard.forbidden(address("2606:4700::1111"))).isNull();
    assertThat(UrlGuard.forbidden(address("8.8.8.8"))).isNull();
  }

  @Test
  void allowPrivateLetsTestsUseLoopbackAndHttp() {
    UrlGuard.Target t = lenient.parse("http://127.0.0.1:9/hook");
    assertThat(t.tls()).isFalse();
    assertThat(t.port()).isEqualTo(9);
    assertThat(lenient.resolve(t).await().isLoopbackAddress()).isTrue();
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
