package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a {@code transaction.updated} payload must hold: one row per refusal, the field it names. */
class TransactionSnapshotTest {
  private static JsonObject valid() {
    return new JsonObject().put("id", "pay-1").put("version", 1).put("kind", "transfer").put("status", "pending")
        .put("account_ids", new JsonArray().add("1")).put("amount", "0").put("ledger", 4294967295L)
        .put("code", 65535).put("created_at", "2026-01-01T00:00:00Z").put("updated_at", "2026-01-01T00:00:00Z");
  }

  @Test
  void aMinimalPayloadIsReadWithDefaultsAndRoundTrips() {
    TransactionSnapshot s = TransactionSnapshot.parse(valid());
    assertThat(s.description()).isEmpty();
    assertThat(s.metadata()).isEqualTo(new JsonObject());
    assertThat(s.providerReference()).isNull();
    assertThat(s.accountIds()).containsExactly(BigInteger.ONE);
    assertThat(TransactionSnapshot.parse(s.toJson())).isEqualTo(s);
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        // change to the valid payload                                   the message names
        row(p -> p.put("id", "has space"), "id"),
        row(p -> p.put("id", 7), "id must be a string"),
        row(p -> p.put("version", 0), "version"),
        row(p -> p.put("kind", "refund"), "kind"),
        row(p -> p.put("status", "Bad Status"), "status"),
        row(p -> p.put("account_ids", new JsonArray()), "account_ids"),
        row(p -> p.put("account_ids", new JsonArray().add(1)), "account_ids"),
        row(p -> p.put("amount", "-1"), "amount"),
        row(p -> p.put("amount", "01"), "amount"),
        row(p -> p.put("amount", "340282366920938463463374607431768211456"), "amount does not fit a u128"),
        row(p -> p.put("ledger", 0), "ledger"),
        row(p -> p.put("ledger", 4294967296L), "ledger"),
        row(p -> p.put("code", 65536), "code"),
        row(p -> p.put("description", "a".repeat(1001)), "description"),
        row(p -> p.put("metadata", "text"), "wrong JSON type"),
        row(p -> p.put("created_at", "yesterday"), "created_at"),
        row(p -> p.remove("updated_at") == null ? p : p, "updated_at"));
  }

  private static Arguments row(UnaryOperator<JsonObject> change, String names) {
    return Arguments.of(change, names);
  }

  @ParameterizedTest
  @MethodSource("refusals")
  void malformedPayloadsAreATypedRefusal(UnaryOperator<JsonObject> change, String names) {
    assertThatThrownBy(() -> TransactionSnapshot.parse(change.apply(valid())))
        .isInstanceOf(TransactionEventException.class).hasMessageContaining(names)
        .satisfies(e -> assertThat(((TransactionEventException) e).reason())
            .isEqualTo(TransactionEventException.Reason.MALFORMED_PAYLOAD));
  }
}
