package dev.ledgerline.ledger.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ModelTest {

  @Test
  void uint128ParsesAndFormatsExactly() {
    String max = "340282366920938463463374607431768211455";
    assertThat(UInt128.parse(max)).isEqualTo(UInt128.MAX);
    assertThat(UInt128.MAX.toString()).isEqualTo(max);
    assertThat(UInt128.parse("18446744073709551616")).isEqualTo(UInt128.of(0, 1));
    assertThat(UInt128.of(0, 1).toString()).isEqualTo("18446744073709551616");
    assertThatThrownBy(() -> UInt128.parse("340282366920938463463374607431768211456"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UInt128.parse("-1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UInt128.parse("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 300)
  void uint128AgreesWithBigInteger(@ForAll long aLo, @ForAll long aHi, @ForAll long bLo, @ForAll long bHi) {
    UInt128 a = UInt128.of(aLo, aHi);
    UInt128 b = UInt128.of(bLo, bHi);
    BigInteger sum = a.toBigInteger().add(b.toBigInteger());
    if (sum.bitLength() > 128) {
      assertThatThrownBy(() -> a.add(b)).isInstanceOf(ArithmeticException.class);
    } else {
      assertThat(a.add(b).toBigInteger()).isEqualTo(sum);
    }
    assertThat(UInt128.parse(a.toString())).isEqualTo(a);
    assertThat(Integer.signum(a.compareTo(b))).isEqualTo(a.toBigInteger().compareTo(b.toBigInteger()));
  }

  @Test
  void wireRoundTripsInTigerBeetleLayout() {
    Transfer t = new Transfer(UInt128.of(1, 2), UInt128.of(3, 4), UInt128.of(5, 6), UInt128.MAX, UInt128.of(7, 0),
        UInt128.of(8, 9), -1L, -2, 60, 700, 65535, TransferFlags.PENDING | TransferFlags.LINKED, 123456789L);
    ByteBuffer b = Wire.encodeTransfers(List.of(t));
    assertThat(b.capacity()).isEqualTo(128);
    assertThat(b.getLong(0)).isEqualTo(1); // id low word first (little-endian)
    assertThat(b.getInt(108)).isEqualTo(60); // timeout at offset 108
    assertThat(b.getShort(118)).isEqualTo((short) 3); // flags at 118
    assertThat(Wire.decodeTransfers(b)).containsExactly(t);
    Account a = new Account(UInt128.of(1, 0), UInt128.of(2, 0), UInt128.of(3, 0), UInt128.of(4, 0),
        UInt128.of(5, 0), UInt128.of(6, 7), 8, 9, 0, 10, 11, AccountFlags.HISTORY, 12);
    assertThat(Wire.decodeAccounts(Wire.encodeAccounts(List.of(a)))).containsExactly(a);
    AccountFilter f = new AccountFilter(UInt128.of(1, 0), UInt128.ZERO, 3, 4, 5, 6, 7, 8, AccountFilterFlags.DEBITS);
    ByteBuffer fb = Wire.allocate(128);
    Wire.putAccountFilter(fb, 0, f);
    assertThat(Wire.getAccountFilter(fb, 0)).isEqualTo(f);
    QueryFilter q = new QueryFilter(UInt128.of(1, 2), 3, 4, 5, 6, 7, 8, 9, QueryFilterFlags.REVERSED);
    ByteBuffer qb = Wire.allocate(64);
    Wire.putQueryFilter(qb, 0, q);
    assertThat(Wire.getQueryFilter(qb, 0)).isEqualTo(q);
    List<CreateTransfersResult> r = List.of(new CreateTransfersResult(3, CreateTransferResult.EXCEEDS_CREDITS));
    assertThat(Wire.decodeTransferResults(Wire.encodeTransferResults(r))).isEqualTo(r);
  }

  @Test
  void resultEnumsCarryTigerBeetleNamesAndCodes() {
    assertThat(CreateTransferResult.values()).hasSize(69);
    assertThat(CreateAccountResult.values()).hasSize(27);
    assertThat(CreateTransferResult.EXCEEDS_CREDITS.code()).isEqualTo(54);
    assertThat(CreateTransferResult.EXCEEDS_CREDITS.tbName()).isEqualTo("exceeds_credits");
    assertThat(CreateTransferResult.ID_ALREADY_FAILED.code()).isEqualTo(68);
    assertThat(CreateTransferResult.fromName("imported_event_expected").code()).isEqualTo(56);
    assertThat(CreateAccountResult.IMPORTED_EVENT_TIMESTAMP_MUST_NOT_REGRESS.code()).isEqualTo(26);
    Set<Integer> codes = new HashSet<>();
    Arrays.stream(CreateTransferResult.values()).forEach(r -> codes.add(r.code()));
    assertThat(codes).hasSize(69);
    assertThat(Arrays.stream(CreateTransferResult.values()).filter(CreateTransferResult::isTransient).count())
        .isEqualTo(7);
    CreateTransferResult[] expanded = Results.expandTransfers(
        List.of(new CreateTransfersResult(1, CreateTransferResult.EXISTS)), 3);
    assertThat(expanded).containsExactly(CreateTransferResult.OK, CreateTransferResult.EXISTS,
        CreateTransferResult.OK);
  }

  @Test
  void idsAreTimeBasedAndStrictlyIncreasing() {
    long before = System.currentTimeMillis();
    UInt128 prev = Ids.next();
    for (int i = 0; i < 10_000; i++) {
      UInt128 next = Ids.next();
      assertThat(next).isGreaterThan(prev);
      prev = next;
    }
    assertThat(Ids.millisOf(prev)).isBetween(before, System.currentTimeMillis() + 1);
  }

  @Test
  void recordsRejectOutOfRangeU16Fields() {
    assertThatThrownBy(() -> Account.of(UInt128.ONE, 1, 70000, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
