package dev.ledgerline.infra.redis;

import dev.ledgerline.infra.InvalidUrlException;
import dev.ledgerline.infra.ServiceMode;
import dev.ledgerline.infra.ServiceUri;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How the node gets its Redis.
 *
 * <ul>
 *   <li>{@link ServiceMode#EXTERNAL}: {@code url} is {@code redis://[:password@]host[:port][/db]} (or
 *       {@code rediss://}).</li>
 *   <li>{@link ServiceMode#EMBEDDED}: the node runs redis-server on 127.0.0.1:{@code port} (0 picks a free port),
 *       with a password generated at every start. With a {@code dataDir} it keeps an append-only file there
 *       ({@code appendfsync everysec}), so its data survives restarts; without one it is in memory only.</li>
 * </ul>
 */
public record RedisSettings(ServiceMode mode, String url, int port, int poolSize, Path dataDir) {

  /** The Vert.x Redis client's own default pool size. */
  public static final int DEFAULT_POOL_SIZE = 6;

  public RedisSettings {
    Objects.requireNonNull(mode, "redis mode");
    if (poolSize < 1) {
      throw new IllegalArgumentException("redis pool size must be at least 1, got " + poolSize);
    }
    if (mode == ServiceMode.EXTERNAL) {
      validateUrl(url);
    } else if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("redis port must be 0 (any free port) or 1-65535, got " + port);
    }
  }

  /** Embedded, in memory only. */
  public static RedisSettings embedded() {
    return new RedisSettings(ServiceMode.EMBEDDED, null, 0, DEFAULT_POOL_SIZE, null);
  }

  /** Embedded, with its append-only file under {@code dataDir}. */
  public static RedisSettings embedded(Path dataDir) {
    return new RedisSettings(ServiceMode.EMBEDDED, null, 0, DEFAULT_POOL_SIZE, dataDir);
  }

  public static RedisSettings external(String url) {
    return new RedisSettings(ServiceMode.EXTERNAL, url, 0, DEFAULT_POOL_SIZE, null);
  }

  public RedisSettings withPort(int newPort) {
    return new RedisSettings(mode, url, newPort, poolSize, dataDir);
  }

  public RedisSettings withPoolSize(int newPoolSize) {
    return new RedisSettings(mode, url, port, newPoolSize, dataDir);
  }

  @Override
  public String toString() {
    return "RedisSettings[mode=" + mode + (mode == ServiceMode.EXTERNAL ? ", url=" + redact(url) : ", port=" + port
        + ", dataDir=" + (dataDir == null ? "none (in memory)" : dataDir)) + ", poolSize=" + poolSize + "]";
  }

  /** Masks the password of a Redis URL for logs. */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    int schemeEnd = url.indexOf("://");
    int at = url.lastIndexOf('@');
    return schemeEnd < 0 || at < schemeEnd ? url : url.substring(0, schemeEnd + 3) + "***" + url.substring(at);
  }

  static void validateUrl(String url) {
    URI uri = ServiceUri.parse("Redis", url, "redis://host:port");
    if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
      throw new InvalidUrlException("Redis URL must start with redis:// or rediss://, got scheme '" + uri.getScheme()
          + "'");
    }
    if (uri.getHost() == null) {
      throw new InvalidUrlException("Redis URL has no host: " + redact(url));
    }
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !path.equals("/") && !path.matches("/\\d+")) {
      throw new InvalidUrlException("Redis URL path must be a database number (/0), got '" + path + "'");
    }
  }
}
