package dev.ledgerline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.observability.ConsoleAccess.Decision;
import dev.ledgerline.observability.ConsoleAccess.TokenRole;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Who may open the console: caller × whether a management token is configured × where the caller is. */
class ConsoleAccessTest {
  private static final String MANAGEMENT = "management-token-0123456789";
  /** What the gateway's verifier would say of each user token. */
  private static final Map<String, TokenRole> USERS = Map.of("user-jwt", TokenRole.OTHER,
      "operator-jwt", TokenRole.OPERATOR, "admin-jwt", TokenRole.OPERATOR, "expired-jwt", TokenRole.INVALID);

  /** One row: the caller's token (null: none), whether management auth is on, loopback or not, the decision. */
  record Row(String caller, String token, boolean managementAuth, boolean loopback, Decision expected) {}

  private static final List<Row> TABLE = List.of(
      //        caller                      token            mgmt auth  loopback  decision
      new Row("none",                       null,            true,      true,     Decision.UNAUTHORIZED),
      new Row("user",                       "user-jwt",      true,      true,     Decision.FORBIDDEN),
      new Row("operator",                   "operator-jwt",  true,      true,     Decision.ALLOW),
      new Row("admin",                      "admin-jwt",     true,      true,     Decision.ALLOW),
      new Row("management token",           MANAGEMENT,      true,      true,     Decision.ALLOW),
      new Row("expired or forged token",    "expired-jwt",   true,      true,     Decision.UNAUTHORIZED),
      new Row("operator, remote",           "operator-jwt",  true,      false,    Decision.ALLOW),
      new Row("none, remote",               null,            true,      false,    Decision.UNAUTHORIZED),
      new Row("none, no auth, loopback",    null,            false,     true,     Decision.ALLOW),
      new Row("user, no auth, loopback",    "user-jwt",      false,     true,     Decision.ALLOW),
      new Row("none, no auth, remote",      null,            false,     false,    Decision.FORBIDDEN),
      new Row("operator, no auth, remote",  "operator-jwt",  false,     false,    Decision.FORBIDDEN));

  @Test
  void callerByConfigurationByPlace() {
    for (Row row : TABLE) {
      ConsoleAccess access = new ConsoleAccess(row.managementAuth(), h -> h.equals("Bearer " + MANAGEMENT),
          t -> Future.succeededFuture(USERS.getOrDefault(t, TokenRole.INVALID)));
      assertThat(access.decide(row.token(), row.loopback()).result()).as(row.caller()).isEqualTo(row.expected());
    }
  }

  @Test
  void withoutAGatewayOnlyTheManagementTokenOpensIt() {
    ConsoleAccess access = new ConsoleAccess(true, h -> h.equals("Bearer " + MANAGEMENT), null);
    assertThat(access.decide("operator-jwt", true).result()).isEqualTo(Decision.UNAUTHORIZED);
    assertThat(access.decide(MANAGEMENT, true).result()).isEqualTo(Decision.ALLOW);
  }

  @Test
  void aVerifierThatFailsRefuses() {
    ConsoleAccess access = new ConsoleAccess(true, h -> false, t -> Future.failedFuture("revocation unavailable"));
    assertThat(access.decide("operator-jwt", true).result()).isEqualTo(Decision.UNAUTHORIZED);
  }

  @Test
  void bearerHeaders() {
    assertThat(ConsoleAccess.bearer("Bearer abc")).isEqualTo("abc");
    assertThat(ConsoleAccess.bearer("bearer  abc ")).isEqualTo("abc");
    assertThat(ConsoleAccess.bearer("Basic abc")).isNull();
    assertThat(ConsoleAccess.bearer("Bearer ")).isNull();
    assertThat(ConsoleAccess.bearer(null)).isNull();
  }
}
