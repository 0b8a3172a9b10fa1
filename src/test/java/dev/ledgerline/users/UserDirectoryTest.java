package dev.ledgerline.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgerline.testing.Poll;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The per-node cache against real PostgreSQL, on a hand-driven clock. "No round trip" is shown by closing the
 * directory's pool: what it still answers came from the cache.
 */
class UserDirectoryTest {
  private static final Duration TTL = Duration.ofSeconds(30);
  private static final Duration STALE = Duration.ofMinutes(5);

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  @RegisterExtension
  final UsersPostgres db = new UsersPostgres();

  private UserDirectory directory(boolean autoProvision) {
    return new UserDirectory(db.store(), new UserDirectory.Options(TTL, STALE, autoProvision, 1000), nanos::get);
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void aCachedUserNeedsNoDatabaseUntilItsTtlAndThenOnlyReadsMayUseIt() {
    db.store().create("alice", UserStatus.ACTIVE, Set.of(Role.USER), Set.of(), Set.of(), "root", null).await();
    UserDirectory dir = directory(false);
    assertEquals("alice", dir.activeUser("alice", Set.of(), true).await().id());
    db.pg().close().await(); // from here on, PostgreSQL is unreachable for this directory

    advance(TTL.dividedBy(3));
    assertEquals("alice", dir.activeUser("alice", Set.of(), true).await().id(), "within the TTL, writes too");
    advance(TTL);
    assertEquals("alice", dir.activeUser("alice", Set.of(), false).await().id(), "past the TTL, reads from cache");
    assertInstanceOf(UsersUnavailableException.class,
        assertThrows(RuntimeException.class, () -> dir.activeUser("alice", Set.of(), true).await()));
    advance(STALE);
    assertInstanceOf(UsersUnavailableException.class,
        assertThrows(RuntimeException.class, () -> dir.activeUser("alice", Set.of(), false).await()));
  }

  @Test
  void aHungDatabaseFailsWritesAndServesStaleReadsWithinTheLoadTimeout() {
    // A "PostgreSQL" that accepts connections and never answers: loads would otherwise wait for ever.
    var silent = db.vertx().createNetServer().connectHandler(socket -> { }).listen(0, "127.0.0.1").await();
    var pool = io.vertx.pgclient.PgBuilder.pool().connectingTo(new io.vertx.pgclient.PgConnectOptions()
        .setHost("127.0.0.1").setPort(silent.actualPort()).setUser("x").setPassword("x").setDatabase("x"))
        .using(db.vertx()).build();
    try {
      UserStore hung = new UserStore(pool, RolePermissions.defaults());
      UserDirectory dir = new UserDirectory(hung, new UserDirectory.Options(TTL, STALE, false, 1000), nanos::get);
      User alice = db.store().create("alice", UserStatus.ACTIVE, Set.of(Role.USER), Set.of(), Set.of(), "root",
          null).await();
      dir.accept(alice);
      advance(TTL.plusSeconds(1));
      long started = System.nanoTime();
      assertInstanceOf(UsersUnavailableException.class,
          assertThrows(RuntimeException.class, () -> dir.activeUser("alice", Set.of(), true).await()));
      assertEquals("alice", dir.activeUser("alice", Set.of(), false).await().id());
      assertTrue(System.nanoTime() - started < Duration.ofSeconds(30).toNanos(), "answered, not hung");
    } finally {
      pool.close().await();
      silent.close().await();
    }
  }

  @Test
  void aSuspensionHeardFromAnotherNodeRefusesAtOnce() {
    User alice = db.store().create("alice", UserStatus.ACTIVE, Set.of(Role.USER), Set.of(), Set.of(), "root", null)
        .await();
    UserDirectory dir = directory(false);
    dir.listen(db.vertx());
    dir.activeUser("alice", Set.of(), false).await();

    User suspended = db.store().update("alice", UserChange.status(UserStatus.SUSPENDED, null), "root").await();
    UserDirectory.publish(db.vertx(), suspended);
    // Within its TTL the directory asks no database: only the published change can make it refuse.
    Poll.until(Duration.ofSeconds(5), "the change to reach the directory",
        () -> dir.activeUser("alice", Set.of(), false).failed());
    UserRefusedException e = assertThrows(UserRefusedException.class,
        () -> dir.activeUser("alice", Set.of(), false).await());
    assertEquals(UserRefusedException.Reason.SUSPENDED, e.reason());

    dir.accept(alice); // an older version arriving late changes nothing
    assertThrows(UserRefusedException.class, () -> dir.activeUser("alice", Set.of(), false).await());
  }

  @Test
  void unknownSubjectsAreRefusedWithoutAutoProvisionAndRememberedAsUnknown() {
    UserDirectory dir = directory(false);
    UserRefusedException e = assertThrows(UserRefusedException.class,
        () -> dir.activeUser("stranger", Set.of(Role.ADMIN), false).await());
    assertEquals(UserRefusedException.Reason.UNKNOWN, e.reason());
    assertTrue(db.store().find("stranger").await().isEmpty(), "nothing was created");
    db.pg().close().await();
    assertEquals(UserRefusedException.Reason.UNKNOWN, assertThrows(UserRefusedException.class,
        () -> dir.activeUser("stranger", Set.of(), false).await()).reason(), "answered from the cache");
  }

  @Test
  void autoProvisionCreatesTheUserWithTheTokensRolesOnce() {
    UserDirectory dir = directory(true);
    User u = dir.activeUser("newcomer", Set.of(Role.OPERATOR), false).await();
    assertEquals(Set.of(Role.OPERATOR), u.roles());
    assertEquals(Set.of(Role.OPERATOR), db.store().find("newcomer").await().orElseThrow().roles());
    assertEquals(1, db.store().events("newcomer").await().size());
  }

  @Test
  void manyFirstRequestsOfOneNewSubjectProvisionItOnce() {
    UserDirectory dir = directory(true);
    List<io.vertx.core.Future<User>> first = new java.util.ArrayList<>();
    for (int i = 0; i < 64; i++) {
      first.add(dir.activeUser("crowd", Set.of(Role.USER), true));
    }
    io.vertx.core.Future.all(first).await();
    assertEquals(1, db.store().events("crowd").await().size());
  }

  @Test
  void aChangeByIdOnlyIsReloaded() {
    db.store().create("alice", UserStatus.ACTIVE, Set.of(Role.USER), Set.of(), Set.of(), "root", null).await();
    UserDirectory dir = directory(false);
    dir.activeUser("alice", Set.of(), false).await();
    db.store().update("alice", UserChange.status(UserStatus.CLOSED, null), "root").await();
    dir.refresh("alice").await();
    assertEquals(UserRefusedException.Reason.CLOSED, assertThrows(UserRefusedException.class,
        () -> dir.activeUser("alice", Set.of(), false).await()).reason());
  }
}
