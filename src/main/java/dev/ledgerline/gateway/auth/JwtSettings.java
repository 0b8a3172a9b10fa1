package dev.ledgerline.gateway.auth;

import dev.ledgerline.config.LedgerlineConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code auth.jwt.*} configuration, checked beyond what the schema can say (secret length, leeway bound,
 * HS256 and its secret going together).
 *
 * @param devKeys {@code auth.jwt.dev-keys}: whether the development key may be used when no key is configured
 * @param gatewayOnLoopback whether {@code gateway.host} is a loopback address (what {@link DevKeysPolicy#AUTO}
 *     asks)
 * @param dataDir the node's data directory; development keys live in its {@code keys/} folder
 */
public record JwtSettings(
    List<Path> publicKeys,
    Path jwksFile,
    Duration jwksScanInterval,
    Path privateKey,
    Set<String> algorithms,
    byte[] hs256Secret,
    String issuer,
    String audience,
    Duration leeway,
    boolean requireJti,
    DevKeysPolicy devKeys,
    boolean gatewayOnLoopback,
    int cacheSize,
    Path dataDir) {

  public static final Duration MAX_LEEWAY = Duration.ofMinutes(5);

  /** {@code auth.jwt.dev-keys}: {@code auto}, {@code true} or {@code false}. */
  public enum DevKeysPolicy {
    /** Development keys only while the gateway listens on loopback, where only this machine can reach it. */
    AUTO,
    /** Development keys wherever the gateway listens (warned at every start). */
    ENABLED,
    /** Never development keys. */
    DISABLED;

    public static DevKeysPolicy of(Object value) {
      return switch (String.valueOf(value).toLowerCase(Locale.ROOT)) {
        case "true" -> ENABLED;
        case "false" -> DISABLED;
        default -> AUTO;
      };
    }
  }
  public static final int MIN_SECRET_BYTES = 32;

  /** Settings with dev-keys simply on or off (tests, tools). */
  public JwtSettings(List<Path> publicKeys, Path jwksFile, Duration jwksScanInterval, Path privateKey,
      Set<String> algorithms, byte[] hs256Secret, String issuer, String audience, Duration leeway,
      boolean requireJti, boolean devKeys, int cacheSize, Path dataDir) {
    this(publicKeys, jwksFile, jwksScanInterval, privateKey, algorithms, hs256Secret, issuer, audience, leeway,
        requireJti, devKeys ? DevKeysPolicy.ENABLED : DevKeysPolicy.DISABLED, true, cacheSize, dataDir);
  }

  public JwtSettings {
    publicKeys = List.copyOf(publicKeys);
    java.util.Objects.requireNonNull(devKeys, "devKeys");
    algorithms = Set.copyOf(algorithms);
    if (leeway.compareTo(MAX_LEEWAY) > 0) {
      throw new AuthConfigException("auth.jwt.leeway", "invalid configuration: auth.jwt.leeway = " + leeway.toSeconds()
          + "s is not allowed; at most 5m (tokens would outlive their exp by that much)");
    }
    boolean hs = algorithms.contains(KeyMaterial.HS256);
    if (hs256Secret != null && hs256Secret.length > 0 && hs256Secret.length < MIN_SECRET_BYTES) {
      throw new AuthConfigException("auth.jwt.hs256-secret", "invalid configuration: auth.jwt.hs256-secret has "
          + hs256Secret.length + " bytes; at least " + MIN_SECRET_BYTES + " random bytes are required");
    }
    boolean hasSecret = hs256Secret != null && hs256Secret.length > 0;
    if (hs && !hasSecret) {
      throw new AuthConfigException("auth.jwt.hs256-secret", "invalid configuration: auth.jwt.algorithms lists HS256 "
          + "but auth.jwt.hs256-secret is empty");
    }
    if (hasSecret && !hs) {
      throw new AuthConfigException("auth.jwt.algorithms", "invalid configuration: auth.jwt.hs256-secret is set but "
          + "auth.jwt.algorithms does not list HS256");
    }
    hs256Secret = hasSecret ? hs256Secret.clone() : null;
  }

  /** Reads the section from a validated configuration. */
  public static JwtSettings from(LedgerlineConfig config) {
    LedgerlineConfig.Jwt jwt = config.auth().jwt();
    List<Path> pems = new ArrayList<>();
    for (String pem : jwt.publicKeys()) {
      pems.add(Path.of(pem));
    }
    Set<String> algs = new LinkedHashSet<>(jwt.algorithms());
    String secret = jwt.hs256Secret();
    return new JwtSettings(pems, path(jwt.jwksFile()), jwt.jwksScanInterval(), path(jwt.privateKey()), algs,
        secret.isEmpty() ? null : secret.getBytes(StandardCharsets.UTF_8), jwt.issuer(), jwt.audience(),
        jwt.leeway(), jwt.requireJti(), DevKeysPolicy.of(jwt.devKeys()), isLoopback(config.gateway().host()),
        jwt.cacheSize(), config.node().dataDir());
  }

  /** True when every address the host names is a loopback address; an unknown name is not. */
  static boolean isLoopback(String host) {
    try {
      InetAddress[] all = InetAddress.getAllByName(host);
      for (InetAddress a : all) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** Whether the development key may be used (when no key is configured). */
  public boolean devKeysAllowed() {
    return devKeys == DevKeysPolicy.ENABLED || devKeys == DevKeysPolicy.AUTO && gatewayOnLoopback;
  }

  private static Path path(String s) {
    return s == null || s.isEmpty() ? null : Path.of(s);
  }

  /** True when any verification key is configured (development keys are used only when none is). */
  public boolean hasConfiguredKeys() {
    return !publicKeys.isEmpty() || jwksFile != null || hs256Secret != null;
  }

  @Override
  public String toString() {
    // The secret stays out of logs.
    return "JwtSettings[publicKeys=" + publicKeys + ", jwksFile=" + jwksFile + ", privateKey=" + privateKey
        + ", algorithms=" + algorithms + ", hs256Secret=" + (hs256Secret == null ? "none" : "set") + ", issuer="
        + issuer + ", audience=" + audience + ", leeway=" + leeway + ", requireJti=" + requireJti + ", devKeys="
        + devKeys + ", gatewayOnLoopback=" + gatewayOnLoopback + ", cacheSize=" + cacheSize + "]";
  }
}
