package dev.ledgerline.users;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * One user as stored. {@code version} increases with every change, so a node that hears of two changes out of order
 * keeps the later one.
 */
public record User(String id, UserStatus status, Set<Role> roles, Set<Permission> grants, Set<Permission> denies,
    long version, Instant createdAt, Instant updatedAt, String updatedBy) {

  public User {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(status, "status");
    roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
    grants = Set.copyOf(grants);
    denies = Set.copyOf(denies);
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    Objects.requireNonNull(updatedBy, "updatedBy");
  }

  public boolean active() {
    return status == UserStatus.ACTIVE;
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** The user as the admin API shows it, with the effective permissions under {@code rolePermissions}. */
  public JsonObject toJson(RolePermissions rolePermissions) {
    return new JsonObject()
        .put("id", id)
        .put("status", status.wireName())
        .put("roles", names(roles, Role::claim))
        .put("grant", names(grants, Permission::wireName))
        .put("deny", names(denies, Permission::wireName))
        .put("permissions", names(rolePermissions.effective(this), Permission::wireName))
        .put("version", version)
        .put("created_at", createdAt.toString())
        .put("updated_at", updatedAt.toString())
        .put("updated_by", updatedBy);
  }

  /** The user as nodes tell each other of it: the stored fields, no derived ones. */
  public JsonObject toWire() {
    return new JsonObject().put("id", id).put("status", status.wireName()).put("roles", names(roles, Role::claim))
        .put("grant", names(grants, Permission::wireName)).put("deny", names(denies, Permission::wireName))
        .put("version", version).put("created_at", createdAt.toString()).put("updated_at", updatedAt.toString())
        .put("updated_by", updatedBy);
  }

  /** Reads {@link #toWire()}; throws on anything else. */
  public static User fromWire(JsonObject o) {
    UserStatus status = UserStatus.fromWire(o.getString("status"));
    if (status == null) {
      throw new IllegalArgumentException("no status");
    }
    return new User(o.getString("id"), status, UserChange.roles(o.getJsonArray("roles")),
        Permission.parseAll(o.getJsonArray("grant"), "grant"), Permission.parseAll(o.getJsonArray("deny"), "deny"),
        o.getLong("version"), Instant.parse(o.getString("created_at")), Instant.parse(o.getString("updated_at")),
        o.getString("updated_by"));
  }

  /** Names in declaration order, so answers are stable. */
  static <E extends Enum<E>> JsonArray names(Collection<E> values, Function<E, String> name) {
    JsonArray out = new JsonArray();
    values.stream().sorted().forEach(v -> out.add(name.apply(v)));
    return out;
  }
}
