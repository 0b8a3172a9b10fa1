package dev.ledgerline.gateway.auth;

import io.vertx.core.MultiMap;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a request's access token may come from, in order:
 *
 * <ol>
 *   <li>{@code Authorization: Bearer <token>} on every request;
 *   <li>else the {@link #COOKIE} cookie, but only on safe methods (GET, HEAD) or with {@code X-CSRF: 1}: a browser
 *       attaches cookies to cross-site form posts, while it sends a custom header only after a CORS preflight that
 *       {@code gateway.cors.allowed-origins} controls. Clients should set the cookie {@code HttpOnly; Secure;
 *       SameSite=Strict};
 *   <li>else, on the WebSocket handshake only, the {@link #QUERY} query parameter: browsers cannot set headers on a
 *       WebSocket. Anywhere else it is ignored, because URLs end up in logs and histories.
 * </ol>
 *
 * A present but malformed {@code Authorization} header is not skipped in favour of another source.
 */
public final class TokenSources {
  public static final String COOKIE = "ll_token";
  public static final String QUERY = "access_token";
  public static final String CSRF_HEADER = "X-CSRF";
  private static final String SCHEME = "Bearer ";

  private TokenSources() {}

  /** Where a token was found; {@code token} is null for {@link Source#NONE} and {@link Source#MALFORMED}. */
  public record Found(Source source, String token) {
    static final Found NONE = new Found(Source.NONE, null);
    static final Found MALFORMED = new Found(Source.MALFORMED, null);

    public boolean present() {
      return token != null;
    }
  }

  public enum Source {
    HEADER, COOKIE, QUERY, NONE, MALFORMED
  }

  /** The token of an ordinary API request: header, else cookie (safe method or CSRF header). */
  public static Found ofRequest(HttpServerRequest request) {
    Found header = fromHeader(request.headers());
    if (header != Found.NONE) {
      return header;
    }
    Cookie cookie = request.getCookie(COOKIE);
    if (cookie == null || cookie.getValue().isEmpty()) {
      return Found.NONE;
    }
    HttpMethod m = request.method();
    boolean safe = m == HttpMethod.GET || m == HttpMethod.HEAD;
    return safe || "1".equals(request.getHeader(CSRF_HEADER)) ? new Found(Source.COOKIE, cookie.getValue())
        : Found.NONE;
  }

  /** The token of a WebSocket handshake: header, else the {@code access_token} query parameter. */
  public static Found ofHandshake(MultiMap headers, String query) {
    Found header = fromHeader(headers);
    if (header != Found.NONE) {
      return header;
    }
    String token = null;
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        if (QUERY.equals(name)) {
          if (token != null) {
            return Found.MALFORMED; // two tokens: refuse rather than guess
          }
          token = URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
    }
    return token == null || token.isEmpty() ? Found.NONE : new Found(Source.QUERY, token);
  }

  /** Whether a request presents a token at all (for limiting anonymous clients by address). */
  public static boolean presented(HttpServerRequest request) {
    return ofRequest(request).source() != Source.NONE;
  }

  private static Found fromHeader(MultiMap headers) {
    String header = headers.get(HttpHeaders.AUTHORIZATION);
    if (header == null) {
      return Found.NONE;
    }
    if (header.length() <= SCHEME.length() || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return Found.MALFORMED;
    }
    return new Found(Source.HEADER, header.substring(SCHEME.length()).trim());
  }
}
