package dev.ledgerline.events.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {

  @Test
  void matchesTheStandardWebhooksReferenceVector() {
    // The reference libraries' test vector (standard-webhooks, svix).
    byte[] key = WebhookSignature.key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    String signature = WebhookSignature.sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L,
        "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));
    assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void aRotationSignsWithBothKeysCurrentFirst() throws Exception {
    String current = WebhookSignature.newSecret();
    String previous = WebhookSignature.newSecret();
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    String header = WebhookSignature.header(List.of(WebhookSignature.key(current), WebhookSignature.key(previous)),
        "id1", 42L, body);
    String[] entries = header.split(" ");
    assertThat(entries).hasSize(2);
    assertThat(entries[0]).isEqualTo("v1," + hmac(current, "id1.42.{}"));
    assertThat(entries[1]).isEqualTo("v1," + hmac(previous, "id1.42.{}"));
  }

  @Test
  void secretsAreFreshThirtyTwoBytes() {
    String a = WebhookSignature.newSecret();
    assertThat(a).startsWith("whsec_");
    assertThat(WebhookSignature.key(a)).hasSize(32);
    assertThat(WebhookSignature.newSecret()).isNotEqualTo(a);
  }

  private static String hmac(String secret, String signed) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(6)), "HmacSHA256"));
    return Base64.getEncoder().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
  }
}
