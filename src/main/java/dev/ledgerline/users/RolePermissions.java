package dev.ledgerline.users;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What each role grants ({@code auth.roles.*}), and the rule for a user's effective permissions: the union of their
 * roles' sets, plus their grants, minus their denials. A denial always wins, so one permission can be taken from a
 * single user without giving them a role of their own.
 */
public final class RolePermissions {
  private final Map<Role, Set<Permission>> sets;

  public RolePermissions(Map<Role, Set<Permission>> sets) {
    EnumMap<Role, Set<Permission>> copy = new EnumMap<>(Role.class);
    for (Role r : Role.values()) {
      Set<Permission> s = sets.get(r);
      copy.put(r, s == null || s.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(s)));
    }
    this.sets = Collections.unmodifiableMap(copy);
  }

  /** The built-in sets: users move money on their own accounts; operators also read and resolve; admins do all. */
  public static RolePermissions defaults() {
    Set<Permission> user = EnumSet.of(Permission.ACCOUNTS_READ, Permission.ACCOUNTS_CREATE,
        Permission.TRANSFERS_CREATE, Permission.TRANSFERS_READ, Permission.PAYMENTS_CREATE, Permission.PAYMENTS_READ,
        Permission.TRANSACTIONS_SEARCH, Permission.LINKED_ACCOUNTS_MANAGE, Permission.STREAM_CONNECT);
    Set<Permission> operator = EnumSet.copyOf(user);
    operator.addAll(EnumSet.of(Permission.OPERATOR_READ, Permission.OPERATOR_RESOLVE));
    Set<Permission> admin = EnumSet.allOf(Permission.class);
    return new RolePermissions(Map.of(Role.USER, user, Role.OPERATOR, operator, Role.ADMIN, admin));
  }

  /** The sets of {@code auth.roles.*}; names were checked against the schema's list. */
  public static RolePermissions from(dev.ledgerline.config.LedgerlineConfig.Users config) {
    Map<Role, Set<Permission>> sets = new EnumMap<>(Role.class);
    config.roles().forEach((role, names) -> sets.put(Role.fromClaim(role),
        Permission.parseAll(names, "auth.roles." + role)));
    return new RolePermissions(sets);
  }

  public Set<Permission> of(Role role) {
    return sets.get(role);
  }

  /** Roles ∪ grants − denies. */
  public Set<Permission> effective(User user) {
    return effective(user.roles(), user.grants(), user.denies());
  }

  public Set<Permission> effective(Set<Role> roles, Set<Permission> grants, Set<Permission> denies) {
    EnumSet<Permission> out = EnumSet.noneOf(Permission.class);
    for (Role r : roles) {
      out.addAll(sets.get(r));
    }
    out.addAll(grants);
    out.removeAll(denies);
    return out;
  }

  /** The roles whose set holds {@code permission}. */
  public Set<Role> rolesGranting(Permission permission) {
    EnumSet<Role> out = EnumSet.noneOf(Role.class);
    sets.forEach((role, set) -> {
      if (set.contains(permission)) {
        out.add(role);
      }
    });
    return out;
  }

  public Map<Role, Set<Permission>> asMap() {
    return sets;
  }
}
