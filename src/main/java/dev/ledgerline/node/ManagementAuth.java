package dev.ledgerline.node;

import dev.ledgerline.config.LedgerlineConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;

/**
 * The bearer token that guards the management server's {@code /metrics} and the detail of {@code /health/ready},
 * from {@code management.auth.token} (best set through the environment) or {@code management.auth.token-file}.
 * Without a token the server is open, which is refused unless it listens on loopback only.
 */
public final class ManagementAuth {
  /** Long enough that guessing is hopeless; a generated token (e.g. 32 random bytes in hex) is far longer. */
  static final int MIN_TOKEN_LENGTH = 16;
  private static final String BEARER = "Bearer ";

  private final byte[] token;

  private ManagementAuth(byte[] token) {
    this.token = token;
  }

  public enum Verdict { NONE_REQUIRED, VALID, MISSING, INVALID }

  /**
   * Reads the token, refusing ({@link NodeRefusedException}) both sources at once, an unreadable file, a short
   * token, and a non-loopback {@code management.host} with no token at all.
   */
  public static ManagementAuth from(LedgerlineConfig.Management management) {
    String token = management.authToken();
    String file = management.authTokenFile();
    if (!token.isEmpty() && !file.isEmpty()) {
      throw new NodeRefusedException("invalid configuration: set management.auth.token or"
          + " management.auth.token-file, not both");
    }
    if (!file.isEmpty()) {
      token = readFirstLine(file);
    }
    if (token.isEmpty()) {
      if (!ListenerAddress.isLoopback(management.host())) {
        throw new NodeRefusedException("invalid configuration: management.host = \"" + management.host() + "\" is"
            + " not a loopback address, so management.auth.token or management.auth.token-file is required:"
            + " /metrics and readiness detail would otherwise be open to anyone who reaches the port");
      }
      return new ManagementAuth(null);
    }
    if (token.length() < MIN_TOKEN_LENGTH) {
      throw new NodeRefusedException("invalid configuration: the management.auth token is " + token.length()
          + " characters long; at least " + MIN_TOKEN_LENGTH + " are required");
    }
    return new ManagementAuth(token.getBytes(StandardCharsets.UTF_8));
  }

  private static String readFirstLine(String file) {
    try {
      List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
      String first = lines.isEmpty() ? "" : lines.get(0).trim();
      if (first.isEmpty()) {
        throw new NodeRefusedException("invalid configuration: management.auth.token-file = \"" + file
            + "\" holds no token on its first line");
      }
      return first;
    } catch (IOException e) {
      throw new NodeRefusedException("invalid configuration: management.auth.token-file = \"" + file
          + "\" cannot be read: " + e.getMessage());
    }
  }

  public boolean required() {
    return token != null;
  }

  /** Judges an {@code Authorization} header (null when absent). */
  public Verdict check(String authorization) {
    if (token == null) {
      return Verdict.NONE_REQUIRED;
    }
    if (authorization == null || authorization.isEmpty()) {
      return Verdict.MISSING;
    }
    if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Verdict.INVALID;
    }
    byte[] given = authorization.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
    // Constant time, so the comparison leaks nothing about how much of a guess was right.
    return MessageDigest.isEqual(given, token) ? Verdict.VALID : Verdict.INVALID;
  }
}
