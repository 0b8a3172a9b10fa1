package dev.ledgerline.gateway.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Whatever the body, the parser answers with a request or a list of field errors, never anything else. */
class RequestParserPropertiesTest {
  private static final String VALID = "{\"id\":\"7\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\","
      + "\"amount\":\"100\",\"ledger\":1,\"code\":10,\"flags\":[\"linked\"],\"user_data_64\":\"5\"}";

  private static void parsesOrExplains(byte[] body) {
    try {
      RequestParser.transfer(body);
    } catch (InvalidRequestException e) {
      assertThat(e.errors()).isNotEmpty().allSatisfy(err -> {
        assertThat(err.field()).isNotEmpty();
        assertThat(err.reason()).isNotEmpty().doesNotContain("com.fasterxml").doesNotContain("Exception");
      });
    }
  }

  @Property(tries = 2000)
  void randomBytes(@ForAll byte[] body) {
    parsesOrExplains(body);
  }

  @Property(tries = 3000)
  void mutatedValidBody(@ForAll @IntRange(min = 0, max = 120) int at, @ForAll char inserted,
      @ForAll @IntRange(min = 0, max = 3) int deleted) {
    int pos = Math.min(at, VALID.length());
    String mutated = VALID.substring(0, pos) + inserted + VALID.substring(Math.min(VALID.length(), pos + deleted));
    parsesOrExplains(mutated.getBytes(StandardCharsets.UTF_8));
  }

  @Provide
  Arbitrary<UInt128> u128s() {
    return Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(UInt128::of);
  }

  @Property(tries = 1000)
  void writtenTransfersReadBackExactly(@ForAll("u128s") UInt128 id, @ForAll("u128s") UInt128 amount,
      @ForAll("u128s") UInt128 data, @ForAll long userData64, @ForAll int userData32,
      @ForAll @IntRange(min = 0, max = 65535) int code, @ForAll int ledger) {
    Transfer t = new Transfer(id, UInt128.ONE, UInt128.of(2), amount, UInt128.ZERO, data, userData64, userData32, 0,
        ledger, code, 0, 0);
    JsonObject written = new JsonObject(ResponseJson.transfer(t));
    written.remove("timestamp");
    assertThat(RequestParser.transfer(written.toBuffer().getBytes()).toTransfer(() -> UInt128.ZERO)).isEqualTo(t);
  }
}
