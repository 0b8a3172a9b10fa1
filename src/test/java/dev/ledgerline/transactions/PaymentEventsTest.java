package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventTypes;
import dev.ledgerline.transactions.saga.PaymentStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A payment's events derived from its row: ids, versions and types that every writer computes alike. */
class PaymentEventsTest {
  @Test
  void theAggregateIsThePaymentIdsBitsAndReverses() {
    UUID id = UUID.fromString("0193a5f0-1c2d-7e3f-8a4b-5c6d7e8f9a0b");
    assertThat(PaymentEvents.aggregate(id.toString()).hi()).isEqualTo(id.getMostSignificantBits());
    assertThat(PaymentEvents.aggregate(id.toString()).lo()).isEqualTo(id.getLeastSignificantBits());
    assertThat(PaymentEvents.paymentId(PaymentEvents.aggregate(id.toString()))).isEqualTo(id.toString());
  }

  @Test
  void everySagaEventHasAKnownTypeWithAStableCode() throws IOException {
    String workflow = Files.readString(Path.of("src/main/java/dev/ledgerline/transactions/saga/"
        + "PaymentWorkflowImpl.java"));
    Matcher m = Pattern.compile("change\\(\"([A-Za-z]+)\"").matcher(workflow);
    int found = 0;
    while (m.find()) {
      found++;
      assertThat(PaymentEvents.TYPES).as(m.group(1)).containsKey(m.group(1));
    }
    assertThat(found).isPositive();
    // The saga's twelve changes and the owner's cancel.
    assertThat(PaymentEvents.TYPES).hasSize(13).containsEntry("CancelRequested", "payment.cancel_requested");
    assertThat(EventTypes.KNOWN.code(PaymentEvents.REQUESTED)).isEqualTo(17);
    assertThat(EventTypes.KNOWN.code("payment.funds_reserved")).isEqualTo(18);
    assertThat(EventTypes.KNOWN.code("payment.resolved")).isEqualTo(29);
    PaymentEvents.TYPES.values().forEach(t -> assertThat(EventTypes.KNOWN.known(t)).as(t).isTrue());
  }

  @Test
  void versionOneIsTheRequestAndEachStepTheNext() {
    String id = UUID.randomUUID().toString();
    JsonArray steps = new JsonArray()
        .add(new JsonObject().put("event_id", "e1").put("event", "FundsReserved").put("status", "reserved"))
        .add(new JsonObject().put("event_id", "e2").put("event", "PaymentFailed").put("status", "failed"));
    Payment p = new Payment(id, "alice", PaymentStatus.FAILED, "7", "250", 1, 1, "plaid", "link-1", null, null,
        false, null, "no", steps, 3, Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:01Z"));
    var events = PaymentEvents.of(p);
    assertThat(events).extracting(PaymentEvents.Expected::version).containsExactly(1L, 2L, 3L);
    assertThat(events).extracting(PaymentEvents.Expected::type)
        .containsExactly("payment.requested", "payment.funds_reserved", "payment.failed");
    assertThat(events.get(0).eventId()).isEqualTo(id);
    assertThat(events.get(0).payload().getString("at")).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(events.get(2).eventId()).isEqualTo("e2");
    assertThat(events.get(2).payload().getString("payment_id")).isEqualTo(id);
    // Derived from the row alone: the same row gives the same events.
    assertThat(PaymentEvents.of(p)).isEqualTo(events);
  }
}
