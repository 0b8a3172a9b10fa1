package dev.ledgerline.users;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.Set;

/**
 * A change to a user ({@code PATCH /v1/admin/users/{id}} or the CLI). Every field is optional, but one must change
 * something. {@code grant} adds a permission (and lifts a denial of it), {@code deny} takes one away whatever the
 * roles say (and drops a grant of it), {@code revoke} returns a permission to what the roles give.
 *
 * @param status the new status, or null to keep it
 * @param roles the new role set (not empty), or null to keep it
 */
public record UserChange(UserStatus status, Set<Role> roles, Set<Permission> grant, Set<Permission> deny,
    Set<Permission> revoke, String reason) {

  static final Set<String> FIELDS = Set.of("status", "roles", "grant", "deny", "revoke", "reason");
  /** Longest reason kept in the audit trail. */
  public static final int MAX_REASON = 500;

  public UserChange {
    grant = Set.copyOf(grant);
    deny = Set.copyOf(deny);
    revoke = Set.copyOf(revoke);
    if (roles != null) {
      if (roles.isEmpty()) {
        throw new InvalidUserException("roles", "a user needs at least one role");
      }
      roles = Set.copyOf(roles);
    }
    if (status == null && roles == null && grant.isEmpty() && deny.isEmpty() && revoke.isEmpty()) {
      throw new InvalidUserException("", "the change names nothing to change: give status, roles, grant, deny or "
          + "revoke");
    }
    overlap(grant, deny, "grant", "deny");
    overlap(grant, revoke, "grant", "revoke");
    overlap(deny, revoke, "deny", "revoke");
    reason = checkReason(reason);
  }

  public static UserChange status(UserStatus status, String reason) {
    return new UserChange(status, null, Set.of(), Set.of(), Set.of(), reason);
  }

  /** Reads a change from a JSON body; unknown fields and wrong types are refused, naming the field. */
  public static UserChange fromJson(JsonObject body) {
    onlyFields(body, FIELDS, "a change");
    UserStatus status = body.containsKey("status") ? status(body) : null;
    Set<Role> roles = body.containsKey("roles") ? roles(array(body, "roles")) : null;
    return new UserChange(status, roles, permissions(body, "grant"), permissions(body, "deny"),
        permissions(body, "revoke"), body.containsKey("reason") ? string(body, "reason") : null);
  }

  /** Refuses the first member that is not one of {@code fields}, naming what has them. */
  static void onlyFields(JsonObject body, Set<String> fields, String what) {
    for (String f : body.fieldNames()) {
      if (!fields.contains(f)) {
        throw new InvalidUserException(f, "unknown field; " + what + " has " + String.join(", ", fields.stream()
            .sorted().toList()));
      }
    }
  }

  static UserStatus status(JsonObject body) {
    UserStatus status = body.getValue("status") instanceof String s ? UserStatus.fromWire(s) : null;
    if (status == null) {
      throw new InvalidUserException("status", "status is one of active, suspended, closed");
    }
    return status;
  }

  /** The roles of a JSON array of role names; throws on an unknown name or an empty array. */
  public static Set<Role> roles(JsonArray names) {
    Set<Role> out = EnumSet.noneOf(Role.class);
    for (Object n : names) {
      Role r = n instanceof String s ? Role.fromClaim(s) : null;
      if (r == null) {
        throw new InvalidUserException("roles", "unknown role " + Permission.quote(n) + "; known: user, operator, "
            + "admin");
      }
      out.add(r);
    }
    if (out.isEmpty()) {
      throw new InvalidUserException("roles", "a user needs at least one role");
    }
    return out;
  }

  static Set<Permission> permissions(JsonObject body, String field) {
    return body.containsKey(field) ? Permission.parseAll(array(body, field), field) : Set.of();
  }

  static JsonArray array(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof JsonArray a)) {
      throw new InvalidUserException(field, field + " must be an array of names");
    }
    return a;
  }

  static String string(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String s)) {
      throw new InvalidUserException(field, field + " must be a string");
    }
    return s;
  }

  static String checkReason(String reason) {
    if (reason == null) {
      return null;
    }
    if (reason.length() > MAX_REASON || reason.codePoints().anyMatch(Character::isISOControl)) {
      throw new InvalidUserException("reason", "reason is at most " + MAX_REASON + " characters, with no control "
          + "characters");
    }
    return reason;
  }

  private static void overlap(Set<Permission> a, Set<Permission> b, String fa, String fb) {
    for (Permission p : a) {
      if (b.contains(p)) {
        throw new InvalidUserException(fb, p.wireName() + " is both in " + fa + " and " + fb);
      }
    }
  }

  /** What this change does to a user's grants: adds {@code grant}, drops what it denies or revokes. */
  Set<Permission> grantsAfter(Set<Permission> grants) {
    return apply(grants, grant, deny);
  }

  /** What this change does to a user's denials: adds {@code deny}, drops what it grants or revokes. */
  Set<Permission> deniesAfter(Set<Permission> denies) {
    return apply(denies, deny, grant);
  }

  private Set<Permission> apply(Set<Permission> before, Set<Permission> add, Set<Permission> opposite) {
    EnumSet<Permission> out = before.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(before);
    out.addAll(add);
    out.removeAll(opposite);
    out.removeAll(revoke);
    return out;
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject();
    if (status != null) {
      o.put("status", status.wireName());
    }
    if (roles != null) {
      o.put("roles", User.names(roles, Role::claim));
    }
    putIfAny(o, "grant", grant);
    putIfAny(o, "deny", deny);
    putIfAny(o, "revoke", revoke);
    return o;
  }

  private static void putIfAny(JsonObject o, String field, Set<Permission> s) {
    if (!s.isEmpty()) {
      o.put(field, User.names(s, Permission::wireName));
    }
  }
}
