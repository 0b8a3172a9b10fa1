package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.testing.PostgresExtension;
import dev.ledgerline.transactions.saga.PaymentStatus;
import dev.ledgerline.transactions.saga.PaymentUpdate;
import dev.ledgerline.transactions.saga.ProviderActivitiesImpl;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The payments table against a real PostgreSQL: the row and its events commit together, updates apply once. */
class PaymentStoreTest {
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();

  private PaymentStore store;

  @BeforeEach
  void setUp() {
    store = new PaymentStore(postgres.pool(), new EventPublisher(EventTypes.KNOWN, 65_536));
  }

  private static NewPayment newPayment(String owner) {
    return new NewPayment(owner, "1001", "250", 7, 1, "plaid", "link-1", "rent", new JsonObject().put("k", "v"));
  }

  private List<Row> outbox(String paymentId) {
    List<Row> rows = new ArrayList<>();
    postgres.pool().preparedQuery("SELECT event_id, event_type, aggregate_seq, payload FROM events_outbox "
            + "WHERE aggregate_id = $1 ORDER BY aggregate_seq")
        .execute(Tuple.of(PaymentStore.AGGREGATE_PREFIX + paymentId)).await().forEach(rows::add);
    return rows;
  }

  @Test
  void aNewPaymentIsPendingAndItsTransactionCreatedIsInTheOutbox() {
    Payment p = store.create(newPayment("alice")).await();

    assertThat(p.status()).isEqualTo(PaymentStatus.PENDING);
    assertThat(p.amount()).isEqualTo("250");
    assertThat(p.fromAccountId()).isEqualTo("1001");
    assertThat(p.metadata()).isEqualTo(new JsonObject().put("k", "v"));
    assertThat(store.get(p.id()).await()).contains(p);
    List<Row> events = outbox(p.id());
    assertThat(events).extracting(r -> r.getString("event_type"))
        .containsExactly("transaction.created", "transaction.updated");
    assertThat(events.get(0)).satisfies(r -> {
      JsonObject payload = (JsonObject) r.getJson("payload");
      assertThat(payload.getString("id")).isEqualTo(p.id());
      assertThat(payload.getString("owner")).isEqualTo("alice");
      assertThat(payload.getString("amount")).isEqualTo("250");
    });
    assertThat(store.unfinished().await()).contains(p.id());
  }

  @Test
  void anUpdateAppliesOnceEvenWhenTheSagaWritesItAgain() {
    Payment p = store.create(newPayment("alice")).await();
    PaymentUpdate reserved = new PaymentUpdate(p.id(), UUID.randomUUID().toString(), "FundsReserved",
        PaymentStatus.RESERVED, "reserve-funds", 1_700_000_000_000L, Map.of("reserve-funds", "42"));
    PaymentUpdate compensating = new PaymentUpdate(p.id(), UUID.randomUUID().toString(), "CompensationStarted",
        PaymentStatus.COMPENSATING, null, 1_700_000_001_000L, Map.of("reason", "provider: declined"));

    store.record(reserved).await();
    store.record(reserved).await();
    store.record(compensating).await();

    Payment after = store.get(p.id()).await().orElseThrow();
    assertThat(after.status()).isEqualTo(PaymentStatus.COMPENSATING);
    assertThat(after.failureReason()).isEqualTo("provider: declined");
    assertThat(after.steps()).hasSize(2);
    JsonObject first = after.steps().getJsonObject(0);
    assertThat(first.getString("event")).isEqualTo("FundsReserved");
    assertThat(first.getString("at")).isEqualTo("2023-11-14T22:13:20Z");
    assertThat(first.getJsonObject("detail").getString("reserve-funds")).isEqualTo("42");
    assertThat(outbox(p.id())).extracting(r -> r.getString("event_type"))
        .containsExactly("transaction.created", "transaction.updated", "payment.updated", "payment.updated");
    assertThat(outbox(p.id()).get(2).getUUID("event_id")).isEqualTo(UUID.fromString(reserved.eventId()));
    assertThat(after.version()).isEqualTo(3);
  }

  @Test
  void everyTransactionUpdatedIsASnapshotTheHandlerReadsWithAGrowingVersion() {
    Payment p = store.create(newPayment("alice")).await();
    store.publishUpdated(p.id(), PaymentStatus.COMPLETED, new JsonObject().put("debits_posted", "250")).await();
    store.record(new PaymentUpdate(p.id(), UUID.randomUUID().toString(), "PaymentCompleted", PaymentStatus.COMPLETED,
        "update-balance", 1_700_000_000_000L, Map.of())).await();

    List<TransactionSnapshot> snapshots = outbox(p.id()).stream()
        .filter(r -> r.getString("event_type").equals("transaction.updated"))
        .map(r -> TransactionSnapshot.parse((JsonObject) r.getJson("payload"))).toList();
    // update-balance's snapshot (with the balances) announces the completion; the record adds none of its own.
    assertThat(snapshots).extracting(TransactionSnapshot::status).containsExactly("pending", "completed");
    assertThat(snapshots).extracting(TransactionSnapshot::version).containsExactly(1L, 2L);
    assertThat(store.get(p.id()).await().orElseThrow().version()).isEqualTo(3L);
    assertThat(snapshots.get(0).id()).isEqualTo(p.id());
    assertThat(snapshots.get(0).kind()).isEqualTo("payment");
    assertThat(snapshots.get(0).accountIds()).extracting(Object::toString).containsExactly("1001");
  }

  @Test
  void onlyTheOwnerCancelsAndOnlyBeforeTheExternalPaymentSucceeded() {
    Payment p = store.create(newPayment("alice")).await();

    assertThat(store.requestCancel(p.id(), "mallory").await()).isEmpty();
    assertThat(store.requestCancel(p.id(), "alice").await()).hasValueSatisfying(c ->
        assertThat(c.cancelRequested()).isTrue());

    Payment committed = store.create(newPayment("alice")).await();
    store.record(new PaymentUpdate(committed.id(), UUID.randomUUID().toString(), "TransferCommitted",
        PaymentStatus.COMMITTED, "commit-transfer", 1_700_000_000_000L, Map.of())).await();
    assertThat(store.requestCancel(committed.id(), "alice").await()).isEmpty();
    assertThat(store.get(committed.id()).await().orElseThrow().cancelRequested()).isFalse();

    // Still external_pending, but the provider has moved the money: too late as well.
    Payment settled = store.create(newPayment("alice")).await();
    store.record(new PaymentUpdate(settled.id(), UUID.randomUUID().toString(), "ExternalPaymentSucceeded",
        PaymentStatus.EXTERNAL_PENDING, "process-external", 1_700_000_000_000L, Map.of())).await();
    assertThat(store.requestCancel(settled.id(), "alice").await()).isEmpty();
  }

  /**
   * What the external step's compensation reads: the authorization recorded before a create (the first one stays,
   * another is refused), then the transfer's reference. Fencing a payment with nothing recorded leaves no way to
   * record one afterwards, so an attempt still running sends no create. Another payment's records are not this one's.
   */
  @Test
  void theProviderAuthorizationIsRecordedBeforeTheCreateAndAFencedPaymentTakesNone() {
    Payment p = store.create(newPayment("alice")).await();
    Payment other = store.create(newPayment("alice")).await();

    assertThat(store.sending(p.id(), "auth-1").await()).isTrue();
    assertThat(store.sending(p.id(), "auth-1").await()).as("the same again").isTrue();
    assertThat(store.sending(p.id(), "auth-2").await()).as("another").isFalse();
    store.record(p.id(), "tr-1", false).await();
    assertThat(store.fence(p.id()).await()).isEqualTo(new ProviderActivitiesImpl.Recorded("tr-1", "auth-1"));
    assertThat(store.sending(p.id(), "auth-1").await()).as("fencing keeps a recorded one").isTrue();

    assertThat(store.fence(other.id()).await()).isEqualTo(new ProviderActivitiesImpl.Recorded(null, null));
    assertThat(store.sending(other.id(), "auth-1").await()).as("fenced: no create").isFalse();
    assertThat(store.fence(other.id()).await()).as("fencing again").isEqualTo(
        new ProviderActivitiesImpl.Recorded(null, null));
    assertThat(store.fence("not-a-uuid").await()).isEqualTo(new ProviderActivitiesImpl.Recorded(null, null));
    assertThat(store.byProviderReference("tr-1").await()).containsExactly(p.id());
  }

  @Test
  void aTerminalPaymentIsNotUnfinished() {
    Payment p = store.create(newPayment("alice")).await();
    store.record(new PaymentUpdate(p.id(), UUID.randomUUID().toString(), "PaymentFailed", PaymentStatus.FAILED,
        null, 1_700_000_000_000L, Map.of("reason", "InsufficientFunds"))).await();

    assertThat(store.unfinished().await()).doesNotContain(p.id());
    assertThat(store.get(p.id()).await().orElseThrow().failureReason()).isEqualTo("InsufficientFunds");
  }

  @Test
  void aUserListsOnlyTheirOwnPaymentsByStatusPageByPage() {
    String owner = "owner-" + UUID.randomUUID();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) ids.add(store.create(newPayment(owner)).await().id());
    store.create(newPayment("someone-else")).await();
    store.record(new PaymentUpdate(ids.get(0), UUID.randomUUID().toString(), "PaymentFailed", PaymentStatus.FAILED,
        null, 1_700_000_000_000L, Map.of("reason", "x"))).await();

    PaymentPage first = store.list(owner, null, null, 2).await();
    PaymentPage second = store.list(owner, null, first.nextCursor(), 2).await();
    PaymentPage third = store.list(owner, null, second.nextCursor(), 2).await();

    List<String> newestFirst = new ArrayList<>(ids);
    java.util.Collections.reverse(newestFirst);
    assertThat(first.payments()).extracting(Payment::id).containsExactlyElementsOf(newestFirst.subList(0, 2));
    assertThat(second.payments()).extracting(Payment::id).containsExactlyElementsOf(newestFirst.subList(2, 4));
    assertThat(third.payments()).extracting(Payment::id).containsExactly(newestFirst.get(4));
    assertThat(third.nextCursor()).isNull();
    assertThat(store.list(owner, PaymentStatus.FAILED, null, 10).await().payments()).extracting(Payment::id)
        .containsExactly(ids.get(0));
    assertThat(store.list(owner, PaymentStatus.PENDING, null, 10).await().payments()).hasSize(4);
    assertThat(store.list("nobody", null, null, 10).await().payments()).isEmpty();
    assertThat(store.get("not-a-uuid").await()).isEmpty();
  }
}
