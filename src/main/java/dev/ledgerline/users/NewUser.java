package dev.ledgerline.users;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/** A user to create ({@code POST /v1/admin/users}), read with the same rules as a {@link UserChange}. */
public record NewUser(String id, UserStatus status, Set<Role> roles, Set<Permission> grants, Set<Permission> denies,
    String reason) {
  static final Set<String> FIELDS = Set.of("id", "status", "roles", "grant", "deny", "reason");

  /** Reads a new user from a JSON body; unknown fields and wrong types are refused, naming the field. */
  public static NewUser fromJson(JsonObject body) {
    UserChange.onlyFields(body, FIELDS, "a user");
    if (!(body.getValue("id") instanceof String id)) {
      throw new InvalidUserException("id", "id is required: the user's token subject (sub)");
    }
    if (!(body.getValue("roles") instanceof JsonArray roles)) {
      throw new InvalidUserException("roles", "roles is required: an array of user, operator, admin");
    }
    return new NewUser(id, body.containsKey("status") ? UserChange.status(body) : UserStatus.ACTIVE,
        UserChange.roles(roles), UserChange.permissions(body, "grant"), UserChange.permissions(body, "deny"),
        body.containsKey("reason") ? UserChange.string(body, "reason") : null);
  }
}
