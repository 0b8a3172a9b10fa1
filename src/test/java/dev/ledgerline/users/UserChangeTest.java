package dev.ledgerline.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UserChangeTest {

  @ParameterizedTest(name = "{0} -> 422 on {1}")
  @CsvSource(delimiter = '|', textBlock = """
      # body                                                 | field
      {}                                                     | ''
      {"reason":"only a reason"}                             | ''
      {"status":"frozen"}                                    | status
      {"status":1}                                           | status
      {"roles":[]}                                           | roles
      {"roles":["root"]}                                     | roles
      {"roles":"admin"}                                      | roles
      {"roles":[null]}                                       | roles
      {"grant":["accounts:destroy"]}                         | grant
      {"grant":[""]}                                         | grant
      {"deny":["ADMIN:USERS"]}                               | deny
      {"grant":["admin:users"],"deny":["admin:users"]}       | deny
      {"deny":["admin:users"],"revoke":["admin:users"]}      | revoke
      {"status":"active","owner":"x"}                        | owner
      {"status":"suspended","reason":"a\\u0000b"}            | reason
      """)
  void refused(String body, String field) {
    InvalidUserException e = assertThrows(InvalidUserException.class,
        () -> UserChange.fromJson(new JsonObject(body)));
    assertEquals(field, e.field());
  }

  @Test
  void aLongReasonIsRefused() {
    JsonObject body = new JsonObject().put("status", "suspended").put("reason", "x".repeat(UserChange.MAX_REASON + 1));
    assertEquals("reason", assertThrows(InvalidUserException.class, () -> UserChange.fromJson(body)).field());
  }

  @Test
  void grantLiftsADenialAndDenyDropsAGrant() {
    UserChange grant = UserChange.fromJson(new JsonObject("{\"grant\":[\"webhooks:manage\"]}"));
    assertEquals(Set.of(Permission.WEBHOOKS_MANAGE), grant.grantsAfter(Set.of()));
    assertEquals(Set.of(), grant.deniesAfter(Set.of(Permission.WEBHOOKS_MANAGE)));
    UserChange deny = UserChange.fromJson(new JsonObject("{\"deny\":[\"webhooks:manage\"]}"));
    assertEquals(Set.of(), deny.grantsAfter(Set.of(Permission.WEBHOOKS_MANAGE)));
    assertEquals(Set.of(Permission.WEBHOOKS_MANAGE), deny.deniesAfter(Set.of()));
    UserChange revoke = UserChange.fromJson(new JsonObject("{\"revoke\":[\"webhooks:manage\"]}"));
    assertEquals(Set.of(), revoke.grantsAfter(Set.of(Permission.WEBHOOKS_MANAGE)));
    assertEquals(Set.of(), revoke.deniesAfter(Set.of(Permission.WEBHOOKS_MANAGE)));
  }
}
