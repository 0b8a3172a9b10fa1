package dev.ledgerline.transactions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.providers.PaymentProvider;
import dev.ledgerline.providers.PaymentProvider.TransferEvent;
import dev.ledgerline.providers.PaymentProvider.TransferEvents;
import dev.ledgerline.testing.PostgresExtension;
import dev.ledgerline.testing.Poll;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The provider event sync's cursor against a real PostgreSQL: kept after each page, read again after a restart. */
class ProviderSettlementsTest {
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();

  /** A provider whose event feed holds {@code count} old events of transfers no payment made. */
  private static PaymentProvider feed(int count, List<Long> asked) {
    return (PaymentProvider) Proxy.newProxyInstance(PaymentProvider.class.getClassLoader(),
        new Class<?>[] {PaymentProvider.class}, (proxy, method, args) -> {
          if (!method.getName().equals("transferEvents")) throw new UnsupportedOperationException(method.getName());
          long after = (long) args[0];
          int size = (int) args[1];
          asked.add(after);
          List<TransferEvent> events = new java.util.ArrayList<>();
          for (long id = after + 1; id <= count && events.size() < size; id++) {
            events.add(new TransferEvent(id, Instant.parse("2020-01-01T00:00:00Z"), "settled", "unknown-" + id,
                "acct", "debit", BigDecimal.ONE));
          }
          return Future.succeededFuture(new TransferEvents(events,
              !events.isEmpty() && events.get(events.size() - 1).eventId() < count));
        });
  }

  @Test
  void aRestartedSyncGoesOnFromTheStoredCursor() {
    PaymentStore store = new PaymentStore(postgres.pool(), new EventPublisher(EventTypes.KNOWN, 65_536));
    List<Long> asked = new CopyOnWriteArrayList<>();
    ProviderSettlements first = new ProviderSettlements(feed(250, asked), store, null);
    postgres.vertx().runOnContext(v -> first.sync());
    Poll.until(Duration.ofSeconds(20), "the first sync stores its cursor",
        () -> store.eventCursor(ProviderSettlements.CURSOR).await() == 250L);
    assertThat(asked).startsWith(0L, 100L, 200L);

    // A new instance, as after a restart: it asks only for what came after the stored cursor.
    asked.clear();
    ProviderSettlements restarted = new ProviderSettlements(feed(260, asked), store, null);
    postgres.vertx().runOnContext(v -> restarted.sync());
    Poll.until(Duration.ofSeconds(20), "the restarted sync reads on",
        () -> store.eventCursor(ProviderSettlements.CURSOR).await() == 260L);
    assertThat(asked).first().isEqualTo(250L);
    assertThat(asked).doesNotContain(0L);

    // The cursor never moves back, whoever saves an older position.
    store.saveEventCursor(ProviderSettlements.CURSOR, 10).await();
    assertThat(store.eventCursor(ProviderSettlements.CURSOR).await()).isEqualTo(260L);
  }
}
