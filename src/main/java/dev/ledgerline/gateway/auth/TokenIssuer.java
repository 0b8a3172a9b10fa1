package dev.ledgerline.gateway.auth;

import dev.ledgerline.users.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** Signs API tokens the gateway accepts: iss and aud from the configuration, a random jti, iat and exp. */
public final class TokenIssuer {
  private TokenIssuer() {}

  /** A signed token for {@code subject} valid from {@code now} for {@code ttl}. */
  public static String issue(JwtSettings settings, String subject, Set<Role> roles, Duration ttl, Instant now) {
    if (subject == null || subject.isBlank()) {
      throw new IllegalArgumentException("--sub must not be empty");
    }
    SigningKey key = SigningKey.load(settings);
    JsonArray roleClaim = new JsonArray();
    roles.forEach(r -> roleClaim.add(r.claim()));
    JsonObject claims = new JsonObject()
        .put("iss", settings.issuer())
        .put("aud", settings.audience())
        .put("sub", subject)
        .put("roles", roleClaim)
        .put("jti", UUID.randomUUID().toString())
        .put("iat", now.getEpochSecond())
        .put("exp", now.plus(ttl).getEpochSecond());
    return JwtSigner.sign(key.algorithm(), key.kid(), claims, key.key());
  }
}
