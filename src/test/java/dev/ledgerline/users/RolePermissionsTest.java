package dev.ledgerline.users;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Effective permissions = roles ∪ grants − denies; a denial always wins. */
class RolePermissionsTest {
  private static final RolePermissions DEFAULTS = RolePermissions.defaults();

  @ParameterizedTest(name = "{0} + grant [{1}] - deny [{2}] -> has {3}: {4}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      # roles          | grant                  | deny                 | permission             | held
      user             | -                      | -                    | transfers:create       | true
      user             | -                      | -                    | operator:read          | false
      user             | -                      | -                    | webhooks:manage        | false
      user             | webhooks:manage        | -                    | webhooks:manage        | true
      user             | -                      | transfers:create     | transfers:create       | false
      user             | transfers:create       | transfers:create     | transfers:create       | false
      user             | -                      | stream:connect       | transfers:create       | true
      operator         | -                      | -                    | operator:resolve       | true
      operator         | -                      | -                    | admin:users            | false
      operator         | admin:users            | -                    | admin:users            | true
      admin            | -                      | -                    | admin:users            | true
      admin            | -                      | admin:users          | admin:users            | false
      admin            | -                      | admin:users          | webhooks:manage        | true
      user operator    | -                      | operator:read        | operator:read          | false
      user operator    | -                      | -                    | operator:resolve       | true
      """)
  void precedence(String roles, String grant, String deny, String permission, boolean held) {
    Set<Role> r = Arrays.stream(roles.split(" ")).map(Role::fromClaim).collect(Collectors.toSet());
    Set<Permission> effective = DEFAULTS.effective(r, perms(grant), perms(deny));
    assertEquals(held, effective.contains(Permission.fromWire(permission)));
  }

  @ParameterizedTest(name = "{0} is granted by {1}")
  @CsvSource(delimiter = '|', textBlock = """
      admin:users      | admin
      operator:read    | operator admin
      transfers:create | user operator admin
      """)
  void rolesGranting(String permission, String roles) {
    Set<Role> expected = Arrays.stream(roles.split(" ")).map(Role::fromClaim)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(Role.class)));
    assertEquals(expected, DEFAULTS.rolesGranting(Permission.fromWire(permission)));
  }

  @org.junit.jupiter.api.Test
  void theConfiguredDefaultsAreTheBuiltInSets() {
    RolePermissions configured = RolePermissions.from(
        dev.ledgerline.testing.NodeExtension.configWith(java.util.Map.of()).current().users());
    assertEquals(DEFAULTS.asMap(), configured.asMap());
  }

  private static Set<Permission> perms(String names) {
    return names == null ? Set.of()
        : Arrays.stream(names.split(" ")).map(Permission::fromWire).collect(Collectors.toSet());
  }
}
