package dev.ledgerline.ledger.tigerbeetle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tigerbeetle.AccountBatch;
import com.tigerbeetle.EchoClient;
import com.tigerbeetle.TransferBatch;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model ↔ client mapping, checked through the TigerBeetle client's own {@link EchoClient}: the batch travels
 * through the native client and comes back byte for byte, so every field of every record must survive the round
 * trip, including u128 extremes.
 */
class TigerBeetleMappingTest {
  private static final UInt128[] EXTREMES = {UInt128.ZERO, UInt128.ONE, UInt128.of(-1L, 0), UInt128.of(0, 1),
      UInt128.MAX};
  private static EchoClient echo;

  @BeforeAll
  static void open() {
    echo = new EchoClient(new byte[16], "3000");
  }

  @AfterAll
  static void close() throws Exception {
    echo.close();
  }

  private static UInt128 pick(int i, int field) {
    return EXTREMES[(i + field) % EXTREMES.length];
  }

  @Test
  void transfersRoundTripEveryFieldIncludingU128Extremes() throws Exception {
    List<Transfer> sent = new ArrayList<>();
    long[] u64 = {0, 1, -1L, Long.MIN_VALUE, Long.MAX_VALUE};
    int[] u32 = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE};
    int[] u16 = {0, 1, 0xFFFF, 0x8000, 0x7FFF};
    for (int i = 0; i < 25; i++) {
      sent.add(new Transfer(pick(i, 0), pick(i, 1), pick(i, 2), pick(i, 3), pick(i, 4), pick(i / 5, 0),
          u64[i % 5], u32[i % 5], u32[(i + 1) % 5], u32[(i + 2) % 5], u16[i % 5], u16[(i + 3) % 5],
          u64[(i + 2) % 5]));
    }
    TransferBatch batch = TigerBeetleMapping.transfers(sent);
    assertThat(batch.getLength()).isEqualTo(sent.size());
    TransferBatch back = echo.echoAsync(batch).get(10, TimeUnit.SECONDS);
    assertThat(TigerBeetleMapping.transfers(back)).isEqualTo(sent);
    // Every extreme really went through in every u128 field.
    List<java.util.function.Function<Transfer, UInt128>> fields = List.of(Transfer::id, Transfer::debitAccountId,
        Transfer::creditAccountId, Transfer::amount, Transfer::pendingId, Transfer::userData128);
    for (var field : fields) assertThat(sent.stream().map(field).distinct()).containsExactlyInAnyOrder(EXTREMES);
    // The client reads u128 as two's-complement-free BigIntegers: 2^128-1 is not -1.
    back.beforeFirst();
    back.next();
    assertThat(back.getAmount()).isEqualTo(sent.get(0).amount().toBigInteger());
  }

  @Test
  void accountsRoundTripEveryFieldIncludingBalancesAndReserved() throws Exception {
    List<Account> sent = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      // Balances and reserved must be zero for a valid create, but a request carrying them must reach the cluster
      // as-is so it gets TigerBeetle's own answer.
      sent.add(new Account(pick(i, 0), pick(i, 1), pick(i, 2), pick(i, 3), pick(i, 4), pick(i, 5 + i / 5),
          i % 2 == 0 ? -1L : 42L, i % 3 == 0 ? -1 : 7, i % 4 == 0 ? 0 : 0xDEAD, i % 2 == 0 ? -1 : 1,
          i % 2 == 0 ? 0xFFFF : 1, i * 3 & 0xFFFF, i % 2 == 0 ? -1L : 0));
    }
    AccountBatch back = echo.echoAsync(TigerBeetleMapping.accounts(sent)).get(10, TimeUnit.SECONDS);
    assertThat(TigerBeetleMapping.accounts(back)).isEqualTo(sent);
  }

  @Test
  void emptyBatchesMapToEmptyBatches() throws Exception {
    assertThat(TigerBeetleMapping.transfers(echo.echoAsync(TigerBeetleMapping.transfers(List.of()))
        .get(10, TimeUnit.SECONDS))).isEmpty();
    assertThat(TigerBeetleMapping.ids(List.of()).getLength()).isZero();
  }

  @Test
  void u128FromBigIntegerIsRangeChecked() {
    BigInteger max = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    assertThat(TigerBeetleMapping.u128(max)).isEqualTo(UInt128.MAX);
    assertThat(TigerBeetleMapping.u128(BigInteger.ONE.shiftLeft(64))).isEqualTo(UInt128.of(0, 1));
    assertThat(TigerBeetleMapping.u128(BigInteger.ZERO)).isEqualTo(UInt128.ZERO);
    assertThatThrownBy(() -> TigerBeetleMapping.u128(max.add(BigInteger.ONE)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TigerBeetleMapping.u128(BigInteger.ONE.negate()))
        .isInstanceOf(IllegalArgumentException.class);
    // What the unchecked client would do with the same value: silently wrap around.
    assertThat(com.tigerbeetle.UInt128.asBigInteger(com.tigerbeetle.UInt128.asBytes(max.add(BigInteger.ONE))))
        .isNotEqualTo(max.add(BigInteger.ONE));
  }

  @Test
  void filtersMapEveryFieldAndInvalidOnesAnswerEmpty() {
    AccountFilter f = new AccountFilter(UInt128.of(5, 6), UInt128.MAX, -1L, -1, 0xFFFF, 1, Long.MAX_VALUE, 8190,
        AccountFilterFlags.CREDITS | AccountFilterFlags.REVERSED);
    com.tigerbeetle.AccountFilter t = TigerBeetleMapping.accountFilter(f);
    assertThat(UInt128.of(com.tigerbeetle.UInt128.asLong(t.getAccountId(), com.tigerbeetle.UInt128.LeastSignificant),
        com.tigerbeetle.UInt128.asLong(t.getAccountId(), com.tigerbeetle.UInt128.MostSignificant)))
        .isEqualTo(f.accountId());
    assertThat(com.tigerbeetle.UInt128.asBigInteger(t.getUserData128())).isEqualTo(UInt128.MAX.toBigInteger());
    assertThat(t.getUserData64()).isEqualTo(-1L);
    assertThat(t.getUserData32()).isEqualTo(-1);
    assertThat(t.getCode()).isEqualTo(0xFFFF);
    assertThat(t.getTimestampMin()).isEqualTo(1);
    assertThat(t.getTimestampMax()).isEqualTo(Long.MAX_VALUE);
    assertThat(t.getLimit()).isEqualTo(8190);
    assertThat(t.getDebits()).isFalse();
    assertThat(t.getCredits()).isTrue();
    assertThat(t.getReversed()).isTrue();
    assertThat(TigerBeetleMapping.accountFilter(new AccountFilter(UInt128.ONE, UInt128.ZERO, 0, 0, 0, 0, 0, 1,
        AccountFilterFlags.DEBITS, true))).isNull();
    assertThat(TigerBeetleMapping.accountFilter(new AccountFilter(UInt128.ONE, UInt128.ZERO, 0, 0, 0, 0, 0, 1,
        1 << 5))).isNull();

    QueryFilter q = new QueryFilter(UInt128.of(0, 1), 9, 8, -1, 0xFFFF, 3, 4, 5, QueryFilterFlags.REVERSED);
    com.tigerbeetle.QueryFilter tq = TigerBeetleMapping.queryFilter(q);
    assertThat(com.tigerbeetle.UInt128.asBigInteger(tq.getUserData128())).isEqualTo(BigInteger.ONE.shiftLeft(64));
    assertThat(List.of(tq.getUserData64(), (long) tq.getUserData32(), (long) tq.getLedger(), (long) tq.getCode(),
        tq.getTimestampMin(), tq.getTimestampMax(), (long) tq.getLimit())).containsExactly(9L, 8L, -1L, 65535L, 3L,
        4L, 5L);
    assertThat(tq.getReversed()).isTrue();
    assertThat(TigerBeetleMapping.queryFilter(new QueryFilter(UInt128.ZERO, 0, 0, 0, 0, 0, 0, 1, 2))).isNull();
  }
}
