package dev.ledgerline.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.EventTypes;
import dev.ledgerline.infra.DataServices;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each user change is also an outbox event, with the audit row's id, in the same transaction. */
class UserEventsOutboxTest {
  @RegisterExtension
  final UsersPostgres db = new UsersPostgres();
  private DataServices pg;
  private UserStore store;

  @BeforeEach
  void setUp() {
    pg = db.pg();
    store = new UserStore(pg.pool(), RolePermissions.defaults(), new EventPublisher(EventTypes.KNOWN, 65_536));
  }

  private List<Row> outbox(String id) {
    List<Row> rows = new ArrayList<>();
    pg.pool().preparedQuery("SELECT event_id, event_type, aggregate_seq, source, payload FROM events_outbox "
        + "WHERE aggregate_id = $1 ORDER BY aggregate_seq").execute(Tuple.of(UserStore.AGGREGATE_PREFIX + id))
        .await().forEach(rows::add);
    return rows;
  }

  @Test
  void createAndSuspendArePublishedInOrderWithTheAuditIds() {
    String id = "outbox-" + UUID.randomUUID();
    store.create(id, UserStatus.ACTIVE, Set.of(Role.USER), Set.of(), Set.of(), "root", "onboarding").await();
    store.update(id, UserChange.status(UserStatus.SUSPENDED, "fraud review"), "admin-7").await();

    List<Row> rows = outbox(id);
    assertEquals(List.of("user.created", "user.updated"), rows.stream().map(r -> r.getString("event_type")).toList());
    List<UserStore.Event> audit = store.events(id).await();
    for (int i = 0; i < 2; i++) {
      assertEquals(audit.get(i).eventId(), rows.get(i).getUUID("event_id"));
      assertEquals(i + 1L, rows.get(i).getLong("aggregate_seq"));
      assertEquals("users", rows.get(i).getString("source"));
    }
    JsonObject suspended = (JsonObject) rows.get(1).getJson("payload");
    assertEquals("admin-7", suspended.getString("actor"));
    assertEquals("fraud review", suspended.getString("reason"));
    assertEquals("suspended", suspended.getJsonObject("user").getString("status"));
  }

  @Test
  void aRefusedChangePublishesNothing() {
    String id = "outbox-admin-" + UUID.randomUUID();
    store.create(id, UserStatus.ACTIVE, Set.of(Role.USER), Set.of(), Set.of(), "root", null).await();
    store.update(id, UserChange.status(UserStatus.CLOSED, null), "root").await();
    assertThrows(InvalidUserException.class,
        () -> store.update(id, UserChange.status(UserStatus.ACTIVE, null), "root").await());
    assertEquals(2, outbox(id).size());
  }
}
