package dev.ledgerline.gateway.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponseJsonTest {

  @Test
  void accountHasEveryAmountAsDecimalStringAndAvailable() {
    Account a = new Account(UInt128.MAX, UInt128.of(5), UInt128.of(30), UInt128.of(7), UInt128.of(100),
        UInt128.of(1, 1), -1L, -1, 0, 1, 718, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.HISTORY,
        -2L);
    JsonObject j = new JsonObject(ResponseJson.account(a));
    assertThat(j.getString("id")).isEqualTo("340282366920938463463374607431768211455");
    assertThat(j.getString("debits_pending")).isEqualTo("5");
    assertThat(j.getString("credits_posted")).isEqualTo("100");
    assertThat(j.getString("available")).isEqualTo("65"); // 100 - 30 - 5
    assertThat(j.getString("user_data_128")).isEqualTo("18446744073709551617");
    assertThat(j.getString("user_data_64")).isEqualTo("18446744073709551615");
    assertThat(j.getLong("user_data_32")).isEqualTo(4294967295L);
    assertThat(j.getJsonArray("flags")).containsExactly("debits_must_not_exceed_credits", "history");
    assertThat(j.getString("timestamp")).isEqualTo("18446744073709551614");
    assertThat(j.fieldNames()).doesNotContain("reserved");
  }

  @Test
  void listRowsStateTheirBalancesVersionAndAgeAndAnUnstampedRowStatesNeither() {
    Account a = new Account(UInt128.ONE, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.of(9), UInt128.ZERO, 0, 0,
        0, 1, 1, 0, 5);
    Account b = new Account(UInt128.of(2), UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, UInt128.ZERO, 0, 0,
        0, 1, 1, 0, 6);
    JsonArray rows = new JsonObject(ResponseJson.accounts(List.of(a, b), java.util.Arrays.asList(
        new ResponseJson.BalanceStamp(-1L, 1234), null))).getJsonArray("accounts");
    assertThat(rows.getJsonObject(0).getString("balance_version")).isEqualTo("18446744073709551615");
    assertThat(rows.getJsonObject(0).getLong("balance_age_ms")).isEqualTo(1234);
    assertThat(rows.getJsonObject(0).getString("credits_posted")).isEqualTo("9");
    assertThat(rows.getJsonObject(1).fieldNames()).doesNotContain("balance_version", "balance_age_ms");
    assertThat(new JsonObject(ResponseJson.account(a)).fieldNames()).doesNotContain("balance_version");
  }

  @Test
  void availableIsSignedAndFollowsTheBalanceSide() {
    Account overdrawn = new Account(UInt128.ONE, UInt128.of(10), UInt128.of(50), UInt128.ZERO, UInt128.of(20),
        UInt128.ZERO, 0, 0, 0, 1, 1, 0, 1);
    assertThat(ResponseJson.available(overdrawn)).hasToString("-40");
    Account debitSide = new Account(UInt128.ONE, UInt128.of(10), UInt128.of(50), UInt128.of(4), UInt128.of(20),
        UInt128.ZERO, 0, 0, 0, 1, 1, AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS, 1);
    assertThat(ResponseJson.available(debitSide)).hasToString("26"); // 50 - 20 - 4
  }

  @Test
  void transferAndResults() {
    Transfer t = new Transfer(UInt128.parse("123456789012345678901234567890"), UInt128.ONE, UInt128.of(2),
        UInt128.parse("100000000000000000000"), UInt128.ZERO, UInt128.ZERO, 3, 4, 60, 1, 2,
        TransferFlags.PENDING | TransferFlags.LINKED, 1700000000000000000L);
    JsonObject j = new JsonObject(ResponseJson.transfer(t));
    assertThat(j.getString("id")).isEqualTo("123456789012345678901234567890");
    assertThat(j.getString("amount")).isEqualTo("100000000000000000000");
    assertThat(j.getValue("amount")).isInstanceOf(String.class);
    assertThat(j.getJsonArray("flags")).containsExactly("linked", "pending");
    assertThat(j.getInteger("timeout")).isEqualTo(60);
    assertThat(j.getString("timestamp")).isEqualTo("1700000000000000000");

    JsonArray results = new JsonObject(ResponseJson.transferResults(List.of(UInt128.ONE, UInt128.of(2)),
        List.of(CreateTransferResult.OK, CreateTransferResult.EXCEEDS_CREDITS))).getJsonArray("results");
    assertThat(results.getJsonObject(1).encode())
        .isEqualTo("{\"index\":1,\"id\":\"2\",\"result\":\"exceeds_credits\"}");
    assertThat(new JsonObject(ResponseJson.transfers(List.of(t, t))).getJsonArray("transfers")).hasSize(2);
  }

  @Test
  void responseOfAParsedRequestReadsBackAsTheSameRequest() {
    String body = "{\"id\":\"9\",\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"100\","
        + "\"ledger\":1,\"code\":10,\"flags\":[\"pending\"],\"timeout\":30}";
    Transfer t = RequestParser.transfer(body.getBytes()).toTransfer(() -> UInt128.ZERO);
    JsonObject out = new JsonObject(ResponseJson.transfer(t));
    out.remove("timestamp");
    Transfer back = RequestParser.transfer(out.toBuffer().getBytes()).toTransfer(() -> UInt128.ZERO);
    assertThat(back).isEqualTo(t);
  }
}
