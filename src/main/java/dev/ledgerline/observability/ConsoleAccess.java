package dev.ledgerline.observability;

import io.vertx.core.Future;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Who may see the operator console and its feed. With a management token configured: that token, or a user token
 * (JWT) of an operator or admin; a valid user token of anyone else is refused (403), and no token or a bad one asks
 * for one (401). Without a management token the management server listens on loopback only, and the console answers
 * loopback callers only, token or not: the same people can already read {@code /metrics}.
 */
public final class ConsoleAccess {
  /** The answer to one request. */
  public enum Decision { ALLOW, UNAUTHORIZED, FORBIDDEN }

  /** What a bearer token is, according to the gateway's verifier. */
  public enum TokenRole { OPERATOR, OTHER, INVALID }

  private static final String BEARER = "Bearer ";

  private final Predicate<String> managementToken;
  private final boolean managementAuthRequired;
  private final Function<String, Future<TokenRole>> userTokens;

  /**
   * @param managementAuthRequired whether a management token is configured
   * @param managementToken whether an {@code Authorization} header carries that token
   * @param userTokens judges a user token (JWT); null on a node without the gateway role, where only the management
   *     token opens the console
   */
  public ConsoleAccess(boolean managementAuthRequired, Predicate<String> managementToken,
      Function<String, Future<TokenRole>> userTokens) {
    this.managementAuthRequired = managementAuthRequired;
    this.managementToken = managementToken;
    this.userTokens = userTokens;
  }

  /**
   * Decides for one request.
   *
   * @param token the bearer token from {@code Authorization} or the console's cookie, null when neither
   * @param loopbackCaller whether the request came from a loopback address
   */
  public Future<Decision> decide(String token, boolean loopbackCaller) {
    if (!managementAuthRequired) {
      return Future.succeededFuture(loopbackCaller ? Decision.ALLOW : Decision.FORBIDDEN);
    }
    if (token == null || token.isBlank()) {
      return Future.succeededFuture(Decision.UNAUTHORIZED);
    }
    if (managementToken.test(BEARER + token)) {
      return Future.succeededFuture(Decision.ALLOW);
    }
    if (userTokens == null) {
      return Future.succeededFuture(Decision.UNAUTHORIZED);
    }
    return userTokens.apply(token).map(role -> switch (role) {
      case OPERATOR -> Decision.ALLOW;
      case OTHER -> Decision.FORBIDDEN;
      case INVALID -> Decision.UNAUTHORIZED;
    }).otherwise(Decision.UNAUTHORIZED);
  }

  /** The token of an {@code Authorization: Bearer} header, or null. */
  static String bearer(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String t = authorization.substring(BEARER.length()).trim();
    return t.isEmpty() ? null : t;
  }
}
