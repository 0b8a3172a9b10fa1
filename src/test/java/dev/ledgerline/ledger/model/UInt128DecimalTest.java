package dev.ledgerline.ledger.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Decimal parse and format of u128 agree with BigInteger everywhere, including the edges of each 9-digit chunk. */
class UInt128DecimalTest {
  private static final BigInteger TWO_128 = BigInteger.ONE.shiftLeft(128);

  @Property(tries = 5000)
  void formatAndParseMatchBigInteger(@ForAll("u128") BigInteger value) {
    UInt128 v = UInt128.of(value);
    assertThat(v.toString()).isEqualTo(value.toString());
    assertThat(UInt128.parse(value.toString())).isEqualTo(v);
    assertThat(v.toBigInteger()).isEqualTo(value);
  }

  @Provide
  Arbitrary<BigInteger> u128() {
    // Uniform over bit lengths, so short and long values, and every chunk count, are all common.
    return Arbitraries.integers().between(0, 128).flatMap(bits -> Arbitraries.bigIntegers()
        .between(BigInteger.ZERO, BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE)));
  }

  @Test
  void edges() {
    String[] values = {"0", "1", "999999999", "1000000000", "18446744073709551615", "18446744073709551616",
        "10000000000000000000", "99999999999999999999", "100000000000000000000000000000000000000",
        "1000000000000000000000000000000000001", "340282366920938463463374607431768211455",
        "340282366920938463463374607431768211454", "100000000000000000001000000000"};
    for (String s : values) {
      UInt128 v = UInt128.parse(s);
      assertThat(v.toBigInteger()).as(s).isEqualTo(new BigInteger(s));
      assertThat(v.toString()).isEqualTo(s);
    }
    assertThat(UInt128.parse("340282366920938463463374607431768211455")).isEqualTo(UInt128.MAX);
  }

  @Test
  void valuesFrom2To128UpAreRefused() {
    for (BigInteger tooBig : new BigInteger[] {TWO_128, TWO_128.add(BigInteger.ONE),
        new BigInteger("999999999999999999999999999999999999999"), TWO_128.shiftLeft(1)}) {
      String s = tooBig.toString();
      if (s.length() <= 39) {
        assertThatThrownBy(() -> UInt128.parse(s)).as(s).isInstanceOf(IllegalArgumentException.class);
      }
    }
  }
}
