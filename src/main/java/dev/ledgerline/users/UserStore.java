package dev.ledgerline.users;

import dev.ledgerline.events.EventPublisher;
import dev.ledgerline.events.NewEvent;
import dev.ledgerline.events.Uuid7;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Users in PostgreSQL ({@code users}, and the audit trail {@code user_events}). Every write runs in one transaction
 * that also appends its event and sends {@code NOTIFY} on {@link #CHANNEL}, so the change, its record and the news of
 * it stand or fall together. Writes are serialised by one advisory lock: the last-admin guard reads every other admin,
 * and two concurrent demotions must not each see the other as the admin that remains.
 */
public final class UserStore {
  /** PostgreSQL channel that carries {@code <id>} of every changed user, for nodes and tools outside the cluster. */
  public static final String CHANNEL = "ledgerline_users";
  /** Who provisions a user on first sight. */
  public static final String AUTO_PROVISION_ACTOR = "auto-provision";
  /** Aggregate id of a user's events in the outbox: {@code user:<id>}. */
  public static final String AGGREGATE_PREFIX = "user:";
  /** Largest page of {@link #list}. */
  public static final int MAX_PAGE = 200;
  private static final long WRITE_LOCK = 0x4c4c_5553_4552_5300L; // "LLUSERS\0": only user writes take it
  private static final int MAX_ID = 256;
  private static final String COLUMNS = "id, status, roles, grants, denies, version, created_at, updated_at, "
      + "updated_by";

  /** One page of {@link #list}; {@code next} is null on the last page. */
  public record Page(List<User> users, String next) {}

  /** One entry of a user's audit trail. */
  public record Event(long version, UUID eventId, String type, String actor, String reason, JsonObject change,
      Instant at) {
    public JsonObject toJson() {
      return new JsonObject().put("version", version).put("event_id", eventId.toString()).put("type", type)
          .put("actor", actor).put("reason", reason).put("change", change).put("at", at.toString());
    }
  }

  private final Pool pool;
  private final RolePermissions rolePermissions;
  private final EventPublisher events;

  /** A store whose changes are recorded in {@code user_events} only. */
  public UserStore(Pool pool, RolePermissions rolePermissions) {
    this(pool, rolePermissions, null);
  }

  /**
   * @param events also publishes each change ({@code user.created}, {@code user.updated}) to the outbox in the same
   *     transaction, for the platform's subscribers; null: no outbox
   */
  public UserStore(Pool pool, RolePermissions rolePermissions, EventPublisher events) {
    this.pool = Objects.requireNonNull(pool);
    this.rolePermissions = Objects.requireNonNull(rolePermissions);
    this.events = events;
  }

  public RolePermissions rolePermissions() {
    return rolePermissions;
  }

  /** A user id is a token subject: 1 to 256 characters of printable text. */
  public static String checkId(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_ID || id.codePoints().anyMatch(Character::isISOControl)
        || hasLoneSurrogate(id)) {
      throw new InvalidUserException("id", "a user id is 1 to " + MAX_ID + " characters with no control character");
    }
    return id;
  }

  public Future<Optional<User>> find(String id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(user(rows.iterator().next())));
  }

  /** Creates a user; fails with {@link UserExistsException} when the id is taken. */
  public Future<User> create(String id, UserStatus status, Set<Role> roles, Set<Permission> grants,
      Set<Permission> denies, String actor, String reason) {
    checkId(id);
    if (roles.isEmpty()) {
      return Future.failedFuture(new InvalidUserException("roles", "a user needs at least one role"));
    }
    for (Permission p : grants) {
      if (denies.contains(p)) {
        return Future.failedFuture(new InvalidUserException("deny", p.wireName() + " is both in grant and deny"));
      }
    }
    String why = UserChange.checkReason(reason);
    return pool.withTransaction(conn -> lock(conn)
        .compose(v -> insert(conn, id, status, roles, grants, denies, actor))
        .compose(user -> {
          if (user.isEmpty()) {
            return Future.failedFuture(new UserExistsException(id));
          }
          return created(conn, user.get(), actor, why);
        }));
  }

  /**
   * Creates a user on first sight with the given roles, unless one exists; answers the stored user either way (a
   * provisioned user is never changed by a later token's claims).
   */
  public Future<User> provision(String id, Set<Role> roles) {
    checkId(id);
    Set<Role> given = roles.isEmpty() ? Set.of(Role.USER) : roles;
    return pool.withTransaction(conn -> lock(conn)
        .compose(v -> insert(conn, id, UserStatus.ACTIVE, given, Set.of(), Set.of(), AUTO_PROVISION_ACTOR))
        .compose(user -> user.isPresent() ? created(conn, user.get(), AUTO_PROVISION_ACTOR, null)
            : select(conn, id, false).map(Optional::orElseThrow)));
  }

  /**
   * Applies a change. A change that changes nothing returns the user as it is and records nothing. Refused with
   * {@link LastAdminException} when it would leave no active user with {@code admin:users}.
   */
  public Future<User> update(String id, UserChange change, String actor) {
    return pool.withTransaction(conn -> lock(conn)
        .compose(v -> select(conn, id, true))
        .compose(found -> {
          User before = found.orElseThrow(() -> new UserNotFoundException(id));
          if (before.status() == UserStatus.CLOSED && change.status() != null
              && change.status() != UserStatus.CLOSED) {
            throw new InvalidUserException("status", "user " + id + " is closed; a closed user stays closed");
          }
          UserStatus status = change.status() != null ? change.status() : before.status();
          Set<Role> roles = change.roles() != null ? change.roles() : before.roles();
          Set<Permission> grants = change.grantsAfter(before.grants());
          Set<Permission> denies = change.deniesAfter(before.denies());
          if (status == before.status() && roles.equals(before.roles()) && grants.equals(before.grants())
              && denies.equals(before.denies())) {
            return Future.succeededFuture(before);
          }
          boolean adminBefore = before.active() && rolePermissions.effective(before).contains(Permission.ADMIN_USERS);
          boolean adminAfter = status == UserStatus.ACTIVE
              && rolePermissions.effective(roles, grants, denies).contains(Permission.ADMIN_USERS);
          Future<Void> guard = adminBefore && !adminAfter ? requireAnotherAdmin(conn, id) : Future.succeededFuture();
          return guard.compose(v -> conn.preparedQuery("UPDATE users SET status = $2, roles = $3, grants = $4, "
                  + "denies = $5, version = version + 1, updated_at = now(), updated_by = $6 WHERE id = $1 RETURNING "
                  + COLUMNS)
              .execute(Tuple.of(id, status.wireName(), roleNames(roles), permissionNames(grants),
                  permissionNames(denies), actor)))
              .compose(rows -> {
                User after = user(rows.iterator().next());
                return event(conn, after, "user.updated", actor, change.reason(), change.toJson()).map(after);
              });
        }));
  }

  /**
   * Users in id order, optionally only those of a status or holding a permission (after grants and denials), from
   * {@code cursor} (the {@code next} of the page before).
   */
  public Future<Page> list(UserStatus status, Permission permission, String cursor, int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      return Future.failedFuture(new InvalidUserException("limit", "limit is 1 to " + MAX_PAGE));
    }
    String after = cursor == null ? "" : decodeCursor(cursor);
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM users WHERE id > $1");
    Tuple args = Tuple.of(after);
    if (status != null) {
      args.addString(status.wireName());
      sql.append(" AND status = $").append(args.size());
    }
    if (permission != null) {
      args.addArrayOfString(roleNames(rolePermissions.rolesGranting(permission)));
      args.addString(permission.wireName());
      sql.append(" AND (roles && $").append(args.size() - 1).append(" OR $").append(args.size())
          .append(" = ANY(grants)) AND NOT ($").append(args.size()).append(" = ANY(denies))");
    }
    args.addInteger(limit + 1);
    sql.append(" ORDER BY id LIMIT $").append(args.size());
    return pool.preparedQuery(sql.toString()).execute(args).map(rows -> {
      List<User> users = new ArrayList<>(rows.size());
      for (Row r : rows) {
        users.add(user(r));
      }
      String next = null;
      if (users.size() > limit) {
        users.remove(users.size() - 1);
        next = encodeCursor(users.get(users.size() - 1).id());
      }
      return new Page(users, next);
    });
  }

  /** A user's audit trail, oldest first. */
  public Future<List<Event>> events(String id) {
    return pool.preparedQuery("SELECT version, event_id, type, actor, reason, change, at FROM user_events "
            + "WHERE user_id = $1 ORDER BY version").execute(Tuple.of(id))
        .map(rows -> {
          List<Event> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Event(r.getLong("version"), r.getUUID("event_id"), r.getString("type"), r.getString("actor"),
                r.getString("reason"), (JsonObject) r.getJson("change"), r.getOffsetDateTime("at").toInstant()));
          }
          return out;
        });
  }

  private static Future<Void> lock(SqlConnection conn) {
    return conn.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(WRITE_LOCK)).mapEmpty();
  }

  private Future<Void> requireAnotherAdmin(SqlClient conn, String id) {
    return conn.preparedQuery("SELECT 1 FROM users WHERE id <> $1 AND status = 'active' AND (roles && $2 OR "
            + "$3 = ANY(grants)) AND NOT ($3 = ANY(denies)) LIMIT 1")
        .execute(Tuple.of(id, roleNames(rolePermissions.rolesGranting(Permission.ADMIN_USERS)),
            Permission.ADMIN_USERS.wireName()))
        .compose(rows -> rows.size() > 0 ? Future.succeededFuture() : Future.failedFuture(new LastAdminException(id)));
  }

  private Future<Optional<User>> insert(SqlClient conn, String id, UserStatus status, Set<Role> roles,
      Set<Permission> grants, Set<Permission> denies, String actor) {
    return conn.preparedQuery("INSERT INTO users (id, status, roles, grants, denies, updated_by) VALUES "
            + "($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING " + COLUMNS)
        .execute(Tuple.of(id, status.wireName(), roleNames(roles), permissionNames(grants), permissionNames(denies),
            actor))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(user(rows.iterator().next())));
  }

  private Future<Optional<User>> select(SqlClient conn, String id, boolean forUpdate) {
    return conn.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE id = $1" + (forUpdate ? " FOR UPDATE" : ""))
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(user(rows.iterator().next())));
  }

  private Future<User> created(SqlConnection conn, User user, String actor, String reason) {
    JsonObject change = new JsonObject().put("status", user.status().wireName())
        .put("roles", User.names(user.roles(), Role::claim))
        .put("grant", User.names(user.grants(), Permission::wireName))
        .put("deny", User.names(user.denies(), Permission::wireName));
    return event(conn, user, "user.created", actor, reason, change).map(user);
  }

  /**
   * Records a change in the audit trail and, when there is an outbox, as an event with the same id for subscribers;
   * then tells the nodes ({@code NOTIFY}). All in the caller's transaction.
   */
  private Future<Void> event(SqlConnection conn, User user, String type, String actor, String reason,
      JsonObject change) {
    UUID id = Uuid7.next();
    Future<?> audit = conn.preparedQuery("INSERT INTO user_events (user_id, version, event_id, type, actor, reason, "
            + "change) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .execute(Tuple.of(user.id(), user.version(), id, type, actor, reason, change));
    if (events != null) {
      audit = audit.compose(v -> events.publish(conn, new NewEvent(id, type, java.time.Instant.now(), id.toString(),
          id.toString(), "users", AGGREGATE_PREFIX + user.id(), new JsonObject().put("user", user.toWire()).put("actor", actor)
              .put("reason", reason).put("change", change))));
    }
    return audit.compose(v -> conn.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(CHANNEL, user.id())))
        .mapEmpty();
  }

  static User user(Row r) {
    return new User(r.getString("id"), UserStatus.fromWire(r.getString("status")), roles(r.getArrayOfStrings("roles")),
        permissions(r.getArrayOfStrings("grants")), permissions(r.getArrayOfStrings("denies")), r.getLong("version"),
        r.getOffsetDateTime("created_at").toInstant(), r.getOffsetDateTime("updated_at").toInstant(),
        r.getString("updated_by"));
  }

  private static Set<Role> roles(String[] names) {
    Set<Role> out = EnumSet.noneOf(Role.class);
    for (String n : names) {
      Role r = Role.fromClaim(n);
      if (r != null) { // a role dropped from the code grants nothing, rather than locking the user out
        out.add(r);
      }
    }
    return out;
  }

  private static Set<Permission> permissions(String[] names) {
    Set<Permission> out = EnumSet.noneOf(Permission.class);
    for (String n : names) {
      Permission p = Permission.fromWire(n);
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  static String[] roleNames(Set<Role> roles) {
    return roles.stream().sorted().map(Role::claim).toArray(String[]::new);
  }

  static String[] permissionNames(Set<Permission> permissions) {
    return permissions.stream().sorted().map(Permission::wireName).toArray(String[]::new);
  }

  private static String encodeCursor(String id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
  }

  private static String decodeCursor(String cursor) {
    try {
      return checkId(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | InvalidUserException e) {
      throw new InvalidUserException("cursor", "cursor is not one this API gave out");
    }
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
