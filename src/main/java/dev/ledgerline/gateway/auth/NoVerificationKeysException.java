package dev.ledgerline.gateway.auth;

/**
 * The gateway has no key to verify tokens with. It refuses to start: vert.x-auth-jwt without keys accepts unsigned
 * ({@code alg: none}) tokens.
 */
public final class NoVerificationKeysException extends AuthConfigException {
  private static final long serialVersionUID = 1L;

  public NoVerificationKeysException() {
    super("auth.jwt.public-keys", "no JWT verification key configured: set auth.jwt.public-keys, auth.jwt.jwks-file "
        + "or auth.jwt.hs256-secret (or auth.jwt.dev-keys: auto or true for development); the gateway does not start "
        + "without keys");
  }
}
