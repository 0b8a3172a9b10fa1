package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.InvalidUrlException;
import dev.ledgerline.infra.ServiceUri;
import io.vertx.pgclient.PgConnectOptions;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Where a PostgreSQL database is and how to log in: parsed from and rendered as
 * {@code postgresql://user:password@host:port/database}. {@link #toString()} never shows the password.
 */
public record PostgresUrl(String host, int port, String database, String user, String password) {

  public static final int DEFAULT_PORT = 5432;

  public PostgresUrl {
    requireText(host, "host");
    requireText(database, "database");
    requireText(user, "user");
    if (port < 1 || port > 65535) {
      throw new InvalidUrlException("PostgreSQL port must be 1-65535, got " + port);
    }
  }

  /** Parses {@code postgresql://user[:password]@host[:port]/database} ({@code postgres://} is accepted too). */
  public static PostgresUrl parse(String url) {
    URI uri = ServiceUri.parse("PostgreSQL", url, "postgresql://user:password@host:port/database");
    String scheme = uri.getScheme();
    if (!"postgresql".equals(scheme) && !"postgres".equals(scheme)) {
      throw new InvalidUrlException("PostgreSQL URL must start with postgresql://, got scheme '" + scheme + "'");
    }
    if (uri.getHost() == null) {
      throw new InvalidUrlException("PostgreSQL URL has no host: " + redact(url));
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new InvalidUrlException("PostgreSQL URL options (?...) are not supported: " + redact(url));
    }
    String path = uri.getRawPath();
    if (path == null || path.length() < 2 || path.indexOf('/', 1) >= 0) {
      throw new InvalidUrlException("PostgreSQL URL must name one database as its path: " + redact(url));
    }
    String rawUserInfo = uri.getRawUserInfo();
    if (rawUserInfo == null || rawUserInfo.isEmpty()) {
      throw new InvalidUrlException("PostgreSQL URL must name a user (postgresql://user:password@...): " + redact(url));
    }
    int colon = rawUserInfo.indexOf(':');
    String user = decode(colon < 0 ? rawUserInfo : rawUserInfo.substring(0, colon));
    String password = colon < 0 ? null : decode(rawUserInfo.substring(colon + 1));
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
    return new PostgresUrl(host, port, decode(path.substring(1)), user, password);
  }

  /** The full URL, password included: hand it to clients, never to logs. */
  public String url() {
    StringBuilder sb = new StringBuilder("postgresql://").append(encode(user));
    if (password != null) {
      sb.append(':').append(encode(password));
    }
    return sb.append('@').append(hostForUrl()).append(':').append(port).append('/').append(encode(database)).toString();
  }

  /** The URL with the password masked, for logs and error messages. */
  public String redacted() {
    return "postgresql://" + encode(user) + (password == null ? "" : ":***") + "@" + hostForUrl() + ":" + port + "/"
        + encode(database);
  }

  /** JDBC form without credentials; pass user and password as properties. */
  public String jdbcUrl() {
    return "jdbc:postgresql://" + hostForUrl() + ":" + port + "/" + encode(database);
  }

  /**
   * The same address and database for the Vert.x reactive client. Statements are prepared once per connection and
   * reused: every statement here is a fixed text, and parsing each execution again costs both sides CPU. Plans stay
   * per execution: a generic plan cannot see how many rows an array parameter holds and would scan whole tables.
   */
  public PgConnectOptions connectOptions() {
    PgConnectOptions options = new PgConnectOptions()
        .setCachePreparedStatements(true)
        .setHost(host)
        .setPort(port)
        .setDatabase(database)
        .setUser(user);
    if (password != null) {
      options.setPassword(password);
    }
    options.addProperty("plan_cache_mode", "force_custom_plan");
    return options;
  }

  /** The same server and credentials, another database. */
  public PostgresUrl withDatabase(String otherDatabase) {
    return new PostgresUrl(host, port, otherDatabase, user, password);
  }

  @Override
  public String toString() {
    return redacted();
  }

  private String hostForUrl() {
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  private static String redact(String url) {
    int at = url.lastIndexOf('@');
    int schemeEnd = url.indexOf("://");
    if (at < 0 || schemeEnd < 0 || at < schemeEnd) {
      return url;
    }
    String userInfo = url.substring(schemeEnd + 3, at);
    int colon = userInfo.indexOf(':');
    return colon < 0 ? url : url.substring(0, schemeEnd + 3) + userInfo.substring(0, colon) + ":***" + url.substring(at);
  }

  private static void requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new InvalidUrlException("PostgreSQL " + what + " is missing");
    }
  }

  // Userinfo and path use RFC 3986 percent-encoding; URLEncoder/URLDecoder would turn '+' into a space.
  static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return out.toString();
  }

  static String decode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new InvalidUrlException("PostgreSQL URL has a truncated %-escape");
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new InvalidUrlException("PostgreSQL URL has an invalid %-escape");
        }
        out.write((hi << 4) | lo);
        i += 2;
      } else {
        int next = s.indexOf('%', i);
        int end = next < 0 ? s.length() : next;
        byte[] bytes = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        i = end - 1;
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
