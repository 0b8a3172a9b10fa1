package dev.ledgerline.gateway.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.transactions.saga.PaymentLedgerIds;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestParserTest {
  private static final String TWO_128 = BigInteger.ONE.shiftLeft(128).toString();
  private static final String MAX_128 = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE).toString();

  /** A valid transfer body with one field replaced by raw JSON text. */
  private static String transferWith(String field, String rawValue) {
    StringBuilder sb = new StringBuilder("{");
    String[][] fields = {{"debit_account_id", "\"1\""}, {"credit_account_id", "\"2\""}, {"amount", "\"100\""},
        {"ledger", "1"}, {"code", "10"}};
    boolean replaced = false;
    for (String[] f : fields) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      String v = f[0].equals(field) ? rawValue : f[1];
      replaced |= f[0].equals(field);
      sb.append('"').append(f[0]).append("\":").append(v);
    }
    if (!replaced) {
      sb.append(",\"").append(field).append("\":").append(rawValue);
    }
    return sb.append('}').toString();
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<FieldError> errorsOf(Runnable r) {
    try {
      r.run();
    } catch (InvalidRequestException e) {
      return e.errors();
    }
    throw new AssertionError("expected InvalidRequestException");
  }

  static Stream<Arguments> badTransfers() {
    return Stream.of(
        Arguments.of("amount as a JSON number", transferWith("amount", "100"), "amount", "not a JSON number"),
        Arguments.of("amount with exponent", transferWith("amount", "1e3"), "amount", "not a JSON number"),
        Arguments.of("amount as negative number", transferWith("amount", "-1"), "amount", "not a JSON number"),
        Arguments.of("amount as negative string", transferWith("amount", "\"-1\""), "amount", "only the digits"),
        Arguments.of("amount with leading space", transferWith("amount", "\" 1\""), "amount", "only the digits"),
        Arguments.of("amount with trailing space", transferWith("amount", "\"1 \""), "amount", "only the digits"),
        Arguments.of("amount with plus sign", transferWith("amount", "\"+1\""), "amount", "only the digits"),
        Arguments.of("amount with exponent string", transferWith("amount", "\"1e3\""), "amount", "only the digits"),
        Arguments.of("amount with fraction", transferWith("amount", "\"1.0\""), "amount", "only the digits"),
        Arguments.of("amount with leading zero", transferWith("amount", "\"01\""), "amount", "leading zeros"),
        Arguments.of("amount empty", transferWith("amount", "\"\""), "amount", "must not be empty"),
        Arguments.of("amount 2^128", transferWith("amount", "\"" + TWO_128 + "\""), "amount", "less than 2^128"),
        Arguments.of("amount 40 digits", transferWith("amount", "\"1" + "0".repeat(39) + "\""), "amount",
            "less than 2^128"),
        Arguments.of("amount null", transferWith("amount", "null"), "amount", "not null"),
        Arguments.of("amount as object", transferWith("amount", "{\"value\":\"1\"}"), "amount", "not an object"),
        Arguments.of("id as number", transferWith("id", "12345678901234567890"), "id", "not a JSON number"),
        Arguments.of("id the platform's (a payment's commit)", transferWith("id", "\""
            + PaymentLedgerIds.transfer("0190f00d-0000-7000-8000-000000000001", PaymentLedgerIds.COMMIT_PENDING)
            + "\""), "id", "is reserved"),
        Arguments.of("user_data_64 2^64", transferWith("user_data_64", "\"18446744073709551616\""), "user_data_64",
            "less than 2^64"),
        Arguments.of("user_data_64 as number", transferWith("user_data_64", "5"), "user_data_64", "not a JSON number"),
        Arguments.of("ledger as string", transferWith("ledger", "\"1\""), "ledger", "not a string"),
        Arguments.of("ledger as float", transferWith("ledger", "1.0"), "ledger", "no fraction or exponent"),
        Arguments.of("ledger with exponent", transferWith("ledger", "1e3"), "ledger", "no fraction or exponent"),
        Arguments.of("ledger negative", transferWith("ledger", "-1"), "ledger", "must not be negative"),
        Arguments.of("ledger minus zero", transferWith("ledger", "-0"), "ledger", "must not be negative"),
        Arguments.of("ledger above u32", transferWith("ledger", "4294967296"), "ledger", "at most 4294967295"),
        Arguments.of("code above u16", transferWith("code", "65536"), "code", "at most 65535"),
        Arguments.of("timeout huge", transferWith("timeout", "99999999999999999999"), "timeout", "at most"),
        Arguments.of("unknown field", transferWith("amount_minor", "\"1\""), "amount_minor", "unknown field"),
        Arguments.of("timestamp from client", transferWith("timestamp", "\"1\""), "timestamp", "set by the ledger"),
        Arguments.of("unknown flag", transferWith("flags", "[\"pendingg\"]"), "flags[0]",
            "unknown transfer flag \"pendingg\""),
        Arguments.of("imported flag", transferWith("flags", "[\"imported\"]"), "flags[0]", "not accepted from clients"),
        Arguments.of("account flag on transfer", transferWith("flags", "[\"linked\",\"history\"]"), "flags[1]",
            "unknown transfer flag"),
        Arguments.of("duplicate flag", transferWith("flags", "[\"linked\",\"linked\"]"), "flags[1]", "duplicate flag"),
        Arguments.of("flags as number", transferWith("flags", "3"), "flags", "array of flag names"),
        Arguments.of("flag as number", transferWith("flags", "[1]"), "flags[0]", "flag name"),
        Arguments.of("nested junk", transferWith("extra", "{\"a\":[1,{\"b\":2}]}"), "extra", "unknown field"),
        Arguments.of("array body", "[" + transferWith("x", "1") + "]", "$", "must be a JSON object"),
        Arguments.of("string body", "\"hello\"", "$", "must be a JSON object"),
        Arguments.of("trailing garbage", transferWith("user_data_32", "1") + " x", "$", "malformed JSON"),
        Arguments.of("second object", transferWith("user_data_32", "1") + "{}", "$", "unexpected data after"),
        Arguments.of("truncated", "{\"amount\":\"1\"", "$", "malformed JSON"),
        Arguments.of("single quotes", "{'amount':'1'}", "$", "malformed JSON"),
        Arguments.of("NaN", transferWith("ledger", "NaN"), "$", "malformed JSON"),
        Arguments.of("leading zero number", transferWith("ledger", "01"), "$", "malformed JSON"),
        Arguments.of("missing amount", "{\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"ledger\":1,"
            + "\"code\":1}", "amount", "is required"),
        Arguments.of("post without amount", "{\"pending_id\":\"9\",\"flags\":[\"post_pending_transfer\"]}", "amount",
            "is required (for post_pending_transfer)"),
        Arguments.of("void without pending_id", "{\"flags\":[\"void_pending_transfer\"]}", "pending_id",
            "is required (for void_pending_transfer)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTransfers")
  void badTransferIsRefusedNamingTheField(String name, String body, String field, String reason) {
    List<FieldError> errors = errorsOf(() -> RequestParser.transfer(b(body)));
    assertThat(errors).as(body).anySatisfy(e -> {
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.reason()).contains(reason);
    });
  }

  @Test
  void duplicateKeyIsRefusedEvenWhenBothValuesAreValid() {
    String body = "{\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"100\",\"amount\":\"1\","
        + "\"ledger\":1,\"code\":1}";
    assertThat(errorsOf(() -> RequestParser.transfer(b(body)))).containsExactly(
        new FieldError("amount", "duplicate key"));
  }

  @Test
  void everyErrorIsReportedAtOnce() {
    String body = "{\"debit_account_id\":1,\"credit_account_id\":\"-2\",\"amount\":\"01\",\"ledger\":1.5,"
        + "\"colour\":\"red\",\"flags\":[\"nope\"]}";
    List<FieldError> errors = errorsOf(() -> RequestParser.transfer(b(body)));
    assertThat(errors).extracting(FieldError::field)
        .containsExactlyInAnyOrder("debit_account_id", "credit_account_id", "amount", "ledger", "colour", "flags[0]");
  }

  @Test
  void missingRequiredFieldsAreReportedWithOtherErrors() {
    List<FieldError> errors = errorsOf(() -> RequestParser.transfer(b("{\"amount\":5}")));
    assertThat(errors).extracting(FieldError::field)
        .containsExactlyInAnyOrder("amount", "debit_account_id", "credit_account_id", "ledger", "code");
  }

  @Test
  void emptyBodyAndInvalidUtf8AreRefused() {
    assertThat(errorsOf(() -> RequestParser.transfer(new byte[0])))
        .containsExactly(new FieldError("$", "request body is empty"));
    byte[] bad = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThat(errorsOf(() -> RequestParser.transfer(bad))).singleElement()
        .satisfies(e -> assertThat(e.reason()).startsWith("malformed JSON"));
  }

  /** JSON text is UTF-8 only: a parser that guesses would take UTF-16 and UTF-32 bodies, and skip a BOM. */
  @Test
  void bodiesInAnotherEncodingOrWithAByteOrderMarkAreRefusedByEveryReader() {
    String json = "{\"ledger\":1,\"code\":1}";
    java.nio.charset.Charset utf32 = java.nio.charset.Charset.forName("UTF-32LE");
    List<byte[]> bodies = List.of(json.getBytes(StandardCharsets.UTF_16LE), json.getBytes(StandardCharsets.UTF_16BE),
        json.getBytes(utf32), ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8),
        "{\"ledger\":1,\u0000\"code\":1}".getBytes(StandardCharsets.UTF_8));
    for (byte[] body : bodies) {
      assertThat(errorsOf(() -> RequestParser.account(body))).singleElement()
          .satisfies(e -> assertThat(e.reason()).startsWith("malformed JSON: a "));
      assertThat(errorsOf(() -> StrictJson.object(body))).singleElement()
          .satisfies(e -> assertThat(e.reason()).startsWith("malformed JSON: a "));
    }
    // Non-ASCII UTF-8 stays welcome.
    assertThat(StrictJson.object("{\"d\":\"caf\u00e9 \ud83d\ude00\"}".getBytes(StandardCharsets.UTF_8))
        .getString("d")).isEqualTo("caf\u00e9 \ud83d\ude00");
  }

  /** Free text ends up in PostgreSQL: what it cannot store as sent is a 400, never a failed statement. */
  @Test
  void strictObjectsRefuseTextPostgresqlCannotStoreAndNumbersBeyondADouble() {
    for (String body : List.of("{\"d\":\"a\\u0000b\"}", "{\"m\":{\"\\u0000\":1}}", "{\"d\":\"\\ud800\"}",
        "{\"d\":\"\\udc00x\"}", "{\"m\":{\"a\":[\"\\ud83dx\"]}}", "{\"m\":{\"a\":1e400}}",
        "{\"m\":-1e400}")) {
      assertThat(errorsOf(() -> StrictJson.object(body.getBytes(StandardCharsets.UTF_8)))).as(body).singleElement()
          .satisfies(e -> assertThat(e.field()).isEqualTo("$"));
    }
    byte[] fine = "{\"d\":\"line\\nbreak \\ud83d\\ude00\",\"n\":1e300}".getBytes(StandardCharsets.UTF_8);
    assertThat(StrictJson.object(fine)
        .getString("d")).isEqualTo("line\nbreak \ud83d\ude00");
  }

  @Test
  void deepNestingIsRefusedWithoutStackOverflow() {
    String deep = "{\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    assertThat(errorsOf(() -> RequestParser.transfer(b(deep)))).anySatisfy(e -> {
      assertThat(e.field()).isEqualTo("$");
      assertThat(e.reason()).contains("nesting depth 32").doesNotContain("StreamReadConstraints");
    });
  }

  @Test
  void validTransferBecomesTheExactRecord() {
    String body = "{\"id\":\"" + MAX_128.substring(1) + "\",\"debit_account_id\":\"1\",\"credit_account_id\":\""
        + MAX_128 + "\",\"amount\":\"0\",\"pending_id\":\"0\",\"user_data_128\":\"340282366920938463463374607431768211454\","
        + "\"user_data_64\":\"18446744073709551615\",\"user_data_32\":4294967295,\"timeout\":0,\"ledger\":700,"
        + "\"code\":65535,\"flags\":[\"linked\",\"pending\"]}";
    TransferRequest r = RequestParser.transfer(b(body));
    assertThat(r.hasId()).isTrue();
    Transfer t = r.toTransfer(() -> {
      throw new AssertionError("the client's id is used");
    });
    assertThat(t).isEqualTo(new Transfer(UInt128.parse(MAX_128.substring(1)), UInt128.ONE, UInt128.MAX, UInt128.ZERO,
        UInt128.ZERO, UInt128.parse("340282366920938463463374607431768211454"), -1L, -1, 0, 700, 65535,
        TransferFlags.LINKED | TransferFlags.PENDING, 0));
  }

  @Test
  void transferWithoutIdGetsOneFromTheCaller() {
    TransferRequest r = RequestParser.transfer(b(transferWith("user_data_32", "7")));
    assertThat(r.hasId()).isFalse();
    Transfer t = r.toTransfer(() -> UInt128.of(42));
    assertThat(t.id()).isEqualTo(UInt128.of(42));
    assertThat(t.amount()).isEqualTo(UInt128.of(100));
    assertThat(t.userData32()).isEqualTo(7);
    assertThat(t.flags()).isZero();
  }

  @Test
  void postPendingNeedsOnlyPendingIdAndAmount() {
    TransferRequest r = RequestParser.transfer(b("{\"id\":\"5\",\"pending_id\":\"9\",\"amount\":\""
        + MAX_128 + "\",\"flags\":[\"post_pending_transfer\"]}"));
    assertThat(r.pendingId()).isEqualTo(UInt128.of(9));
    assertThat(r.amount()).isEqualTo(UInt128.MAX);
    assertThat(r.debitAccountId()).isEqualTo(UInt128.ZERO);
    assertThat(r.resolvesPending()).isTrue();
  }

  @Test
  void batchOfTransfersKeepsOrderAndReportsIndexedPaths() {
    String ok = transferWith("user_data_32", "1");
    List<TransferRequest> list = RequestParser.transfers(b("{\"transfers\":[" + ok + "," + transferWith("amount",
        "\"7\"") + "]}"));
    assertThat(list).extracting(TransferRequest::amount).containsExactly(UInt128.of(100), UInt128.of(7));

    List<FieldError> errors = errorsOf(() -> RequestParser.transfers(b("{\"transfers\":[" + ok + "," + ok + ","
        + ok + "," + transferWith("amount", "5") + ",7]}")));
    assertThat(errors).extracting(FieldError::field).containsExactly("transfers[3].amount", "transfers[4]");
  }

  @Test
  void batchLimits() {
    assertThat(errorsOf(() -> RequestParser.transfers(b("{\"transfers\":[]}"))))
        .containsExactly(new FieldError("transfers", "must contain at least one transfer"));
    assertThat(errorsOf(() -> RequestParser.transfers(b("{}"))))
        .containsExactly(new FieldError("transfers", "is required"));
    assertThat(errorsOf(() -> RequestParser.transfers(b("{\"transfers\":{}}"))))
        .containsExactly(new FieldError("transfers", "must be an array of transfer objects"));
    String ok = transferWith("user_data_32", "1");
    String many = "{\"transfers\":[" + String.join(",", java.util.Collections.nCopies(8191, ok)) + "]}";
    assertThat(errorsOf(() -> RequestParser.transfers(b(many))))
        .containsExactly(new FieldError("transfers", "at most 8190 transfers per request; got 8191"));
    String max = "{\"transfers\":[" + String.join(",", java.util.Collections.nCopies(8190, ok)) + "]}";
    assertThat(RequestParser.transfers(b(max))).hasSize(8190);
  }

  @Test
  void errorListIsBounded() {
    String bad = transferWith("amount", "1");
    String body = "{\"transfers\":[" + String.join(",", java.util.Collections.nCopies(500, bad)) + "]}";
    List<FieldError> errors = errorsOf(() -> RequestParser.transfers(b(body)));
    assertThat(errors).hasSize(StrictReader.MAX_ERRORS + 1);
    assertThat(errors.get(errors.size() - 1).reason()).contains("not listed");
  }

  @Test
  void accountRequests() {
    AccountRequest a = RequestParser.account(b("{\"ledger\":1,\"code\":718,\"flags\":[\"history\","
        + "\"debits_must_not_exceed_credits\"],\"user_data_64\":\"9\"}"));
    assertThat(a.hasId()).isFalse();
    var account = a.toAccount(() -> UInt128.of(3));
    assertThat(account.id()).isEqualTo(UInt128.of(3));
    assertThat(account.flags()).isEqualTo(AccountFlags.HISTORY | AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS);
    assertThat(account.userData64()).isEqualTo(9);
    assertThat(account.creditsPosted()).isEqualTo(UInt128.ZERO);

    assertThat(errorsOf(() -> RequestParser.account(b("{\"ledger\":1,\"code\":1,\"credits_posted\":\"1000\","
        + "\"flags\":[\"pending\"]}")))).extracting(FieldError::field)
        .containsExactlyInAnyOrder("credits_posted", "flags[0]");
    assertThat(errorsOf(() -> RequestParser.accounts(b("{\"accounts\":[{\"ledger\":1}]}"))))
        .containsExactly(new FieldError("accounts[0].code", "is required"));
    // The saga's clearing account of a ledger no payment has used yet: nobody may take it first, on any ledger.
    assertThat(errorsOf(() -> RequestParser.accounts(b("{\"accounts\":[{\"ledger\":5,\"code\":900,\"id\":\""
        + PaymentLedgerIds.clearingAccount(7) + "\"}]}")))).extracting(FieldError::field, FieldError::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("accounts[0].id",
            "is reserved: ids whose top 32 bits are 0x4C454447 are the platform's own"));
  }

  @Test
  void clientFlagNamesMatchTheLedgerModel() {
    for (String n : FlagNames.TRANSFER.clientNames()) {
      assertThat(FlagNames.TRANSFER.bit(n)).isEqualTo(TransferFlags.fromName(n));
    }
    assertThat(FlagNames.TRANSFER.clientNames()).doesNotContain("imported").hasSize(8);
    assertThat(FlagNames.ACCOUNT.clientNames()).doesNotContain("imported").contains("closed", "history");
  }

  @Test
  void pathAndQueryParametersUseTheSameRules() {
    assertThat(Decimals.u128("id", MAX_128)).isEqualTo(UInt128.MAX);
    assertThat(Decimals.u64("timestamp_min", "18446744073709551615")).isEqualTo(-1L);
    for (String bad : new String[] {"", "-1", " 1", "01", "1e3", "0x10", TWO_128}) {
      assertThat(errorsOf(() -> Decimals.u128("id", bad))).singleElement()
          .satisfies(e -> assertThat(e.field()).isEqualTo("id"));
    }
    assertThat(errorsOf(() -> Decimals.u64("timestamp_min", "18446744073709551616"))).singleElement()
        .satisfies(e -> assertThat(e.reason()).isEqualTo("must be less than 2^64"));
  }

  @Test
  void thousandsOfDistinctFieldNamesAreRefusedAsUnknownAndTheParserStaysUsable() {
    StringBuilder many = new StringBuilder("{\"transfers\":[]");
    for (int i = 0; i < 20_000; i++) {
      many.append(",\"f").append(i).append("\":1");
    }
    many.append('}');
    assertThat(errorsOf(() -> RequestParser.transfers(b(many.toString())))).isNotEmpty()
        .allSatisfy(e -> assertThat(e.reason()).isNotBlank());
    // A flood of names must not disturb the next request.
    assertThat(RequestParser.transfer(b(transferWith("code", "1"))).toTransfer(() -> UInt128.ONE).code()).isEqualTo(1);
  }

  @Test
  void hugeUnknownFieldNameIsClippedInThePath() {
    String name = "x".repeat(500);
    List<FieldError> errors = errorsOf(() -> RequestParser.transfer(b(transferWith(name, "1"))));
    assertThat(errors).singleElement().satisfies(e -> assertThat(e.field()).hasSizeLessThan(80));
    assertThatThrownBy(() -> RequestParser.transfer(null)).isInstanceOf(InvalidRequestException.class);
  }
}
