package dev.ledgerline.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The store against real PostgreSQL: audit events, the last-admin guard, filters and paging, provisioning races. */
class UserStoreTest {
  @RegisterExtension
  final UsersPostgres db = new UsersPostgres();

  private User create(String id, Role... roles) {
    return db.store().create(id, UserStatus.ACTIVE, Set.of(roles), Set.of(), Set.of(), "root", "set-up").await();
  }

  @Test
  void everyChangeIsRecordedWithItsActorAndReason() {
    create("alice", Role.USER);
    User after = db.store().update("alice", UserChange.status(UserStatus.SUSPENDED, "chargeback fraud"), "admin-7")
        .await();
    assertEquals(UserStatus.SUSPENDED, after.status());
    assertEquals(2, after.version());
    assertEquals("admin-7", after.updatedBy());
    List<UserStore.Event> events = db.store().events("alice").await();
    assertEquals(List.of("user.created", "user.updated"), events.stream().map(UserStore.Event::type).toList());
    UserStore.Event suspended = events.get(1);
    assertEquals("admin-7", suspended.actor());
    assertEquals("chargeback fraud", suspended.reason());
    assertEquals(new JsonObject().put("status", "suspended"), suspended.change());
  }

  @Test
  void aChangeThatChangesNothingRecordsNothing() {
    create("alice", Role.USER);
    db.store().update("alice", UserChange.status(UserStatus.SUSPENDED, null), "a").await();
    User again = db.store().update("alice", UserChange.status(UserStatus.SUSPENDED, null), "b").await();
    assertEquals(2, again.version());
    assertEquals(2, db.store().events("alice").await().size());
  }

  @Test
  void aTakenIdIsRefused() {
    create("alice", Role.USER);
    assertThrows(UserExistsException.class, () -> create("alice", Role.ADMIN));
    assertEquals(Set.of(Role.USER), db.store().find("alice").await().orElseThrow().roles());
  }

  @Test
  void unknownUserCannotBeChanged() {
    assertThrows(UserNotFoundException.class,
        () -> db.store().update("ghost", UserChange.status(UserStatus.SUSPENDED, null), "a").await());
  }

  @Test
  void theLastAdminCannotSuspendThemselvesNorLoseTheRight() {
    create("root", Role.ADMIN);
    create("alice", Role.USER);
    for (UserChange change : List.of(UserChange.status(UserStatus.SUSPENDED, null),
        UserChange.status(UserStatus.CLOSED, null),
        UserChange.fromJson(new JsonObject("{\"roles\":[\"operator\"]}")),
        UserChange.fromJson(new JsonObject("{\"deny\":[\"admin:users\"]}")))) {
      assertThrows(LastAdminException.class, () -> db.store().update("root", change, "root").await(), change.toString());
    }
    User root = db.store().find("root").await().orElseThrow();
    assertEquals(1, root.version(), "nothing changed");
    assertEquals(1, db.store().events("root").await().size());
    // Another admin, even by grant alone, makes the change possible.
    db.store().update("alice", UserChange.fromJson(new JsonObject("{\"grant\":[\"admin:users\"]}")), "root").await();
    assertEquals(UserStatus.SUSPENDED,
        db.store().update("root", UserChange.status(UserStatus.SUSPENDED, null), "root").await().status());
  }

  @Test
  void twoAdminsDemotingEachOtherAtOnceLeaveOne() {
    create("a", Role.ADMIN);
    create("b", Role.ADMIN);
    Future<User> first = db.store().update("a", UserChange.status(UserStatus.SUSPENDED, null), "b");
    Future<User> second = db.store().update("b", UserChange.status(UserStatus.SUSPENDED, null), "a");
    Future.join(first, second).otherwiseEmpty().await();
    assertTrue(first.succeeded() ^ second.succeeded(), "exactly one demotion holds");
    assertInstanceOf(LastAdminException.class, first.failed() ? first.cause() : second.cause());
    long active = db.store().list(UserStatus.ACTIVE, Permission.ADMIN_USERS, null, 10).await().users().size();
    assertEquals(1, active);
  }

  @Test
  void aClosedUserStaysClosed() {
    create("root", Role.ADMIN);
    create("alice", Role.USER);
    db.store().update("alice", UserChange.status(UserStatus.CLOSED, "left"), "root").await();
    InvalidUserException e = assertThrows(InvalidUserException.class,
        () -> db.store().update("alice", UserChange.status(UserStatus.ACTIVE, null), "root").await());
    assertEquals("status", e.field());
  }

  @Test
  void listFiltersByStatusAndEffectivePermissionAndPages() {
    create("a-admin", Role.ADMIN);
    create("b-user", Role.USER);
    create("c-user", Role.USER);
    create("d-operator", Role.OPERATOR);
    db.store().update("c-user", UserChange.fromJson(new JsonObject("{\"grant\":[\"operator:read\"]}")), "x").await();
    db.store().update("d-operator", UserChange.fromJson(new JsonObject("{\"deny\":[\"operator:read\"]}")), "x").await();
    db.store().update("b-user", UserChange.status(UserStatus.SUSPENDED, null), "x").await();

    assertEquals(List.of("a-admin", "c-user"), ids(db.store().list(null, Permission.OPERATOR_READ, null, 10).await()));
    assertEquals(List.of("b-user"), ids(db.store().list(UserStatus.SUSPENDED, null, null, 10).await()));

    UserStore.Page p1 = db.store().list(null, null, null, 3).await();
    assertEquals(List.of("a-admin", "b-user", "c-user"), ids(p1));
    UserStore.Page p2 = db.store().list(null, null, p1.next(), 3).await();
    assertEquals(List.of("d-operator"), ids(p2));
    assertNull(p2.next());
    assertEquals("cursor", assertThrows(InvalidUserException.class,
        () -> db.store().list(null, null, "%%%", 3).await()).field());
    assertEquals("limit", assertThrows(InvalidUserException.class,
        () -> db.store().list(null, null, null, UserStore.MAX_PAGE + 1).await()).field());
  }

  @Test
  void provisioningRacesMakeOneUserAndNeverChangeAnExistingOne() {
    List<Future<User>> racers = java.util.stream.IntStream.range(0, 8)
        .mapToObj(i -> db.store().provision("newcomer", Set.of(Role.USER))).toList();
    Future.all(racers).await();
    assertEquals(1, db.store().events("newcomer").await().size());
    assertEquals(UserStore.AUTO_PROVISION_ACTOR, db.store().events("newcomer").await().get(0).actor());
    // A later token claiming more roles does not change the stored user.
    User again = db.store().provision("newcomer", Set.of(Role.ADMIN)).await();
    assertEquals(Set.of(Role.USER), again.roles());
    assertFalse(again.has(Role.ADMIN));
  }

  @Test
  void idsAreBoundedPrintableText() {
    for (String bad : new String[] {"", "x".repeat(257), "a\u0000b", "\ud800"}) {
      assertEquals("id", assertThrows(InvalidUserException.class, () -> UserStore.checkId(bad)).field());
    }
    assertSame("ok", UserStore.checkId("ok"));
  }

  private static List<String> ids(UserStore.Page page) {
    return page.users().stream().map(User::id).collect(Collectors.toList());
  }
}
