package dev.ledgerline.events.webhooks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Where a webhook may go (SSRF). A URL is absolute https (http too with {@code allowPrivate}), without credentials or
 * a fragment; every address its host resolves to must be public: not loopback, private (10/8, 172.16/12,
 * 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10, which holds the cloud metadata address), unspecified,
 * multicast, carrier-grade NAT, benchmarking or reserved, nor an IPv4 address of those carried in IPv6 (mapped,
 * compatible, NAT64, 6to4). Checked at registration and again before every attempt, and the attempt connects to the
 * address that was checked: a name that resolves to something else between the check and the connection (DNS
 * rebinding) is never connected to.
 */
public final class UrlGuard {
  static final int MAX_URL = 2048;
  /** How long a checked resolution is reused: short, it only saves a lookup per attempt. */
  private static final Duration RESOLVED_FOR = Duration.ofSeconds(30);

  /** A parsed webhook URL: where to connect, and what to send as Host and request line. */
  public record Target(String url, boolean tls, String host, int port, String requestUri) {}

  private final Vertx vertx;
  private final boolean allowPrivate;
  private final Cache<String, InetAddress> resolved = Caffeine.newBuilder().maximumSize(10_000)
      .expireAfterWrite(RESOLVED_FOR).build();

  public UrlGuard(Vertx vertx, boolean allowPrivate) {
    this.vertx = vertx;
    this.allowPrivate = allowPrivate;
  }

  /** The URL's parts; throws {@link WebhookUrlException} for a URL no webhook may have. */
  public Target parse(String url) {
    if (url == null || url.isEmpty() || url.length() > MAX_URL) {
      throw new WebhookUrlException("must be an absolute URL of at most " + MAX_URL + " characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new WebhookUrlException("is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(allowPrivate && scheme.equals("http"))) {
      throw new WebhookUrlException("must be an https URL");
    }
    if (uri.getRawUserInfo() != null) {
      throw new WebhookUrlException("must not carry credentials");
    }
    if (uri.getRawFragment() != null) {
      throw new WebhookUrlException("must not have a fragment");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new WebhookUrlException("must name a host");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    boolean tls = scheme.equals("https");
    int port = uri.getPort() == -1 ? (tls ? 443 : 80) : uri.getPort();
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    return new Target(url, tls, host.toLowerCase(Locale.ROOT), port, requestUri);
  }

  /**
   * The address to connect to: the host's first address, after every address it resolves to was found public (any
   * non-public one refuses the URL: a receiver's name must not also point inside). Fails with
   * {@link WebhookUrlException}.
   */
  public Future<InetAddress> resolve(Target target) {
    InetAddress cached = resolved.getIfPresent(target.host());
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return vertx.executeBlocking(() -> {
      InetAddress[] all;
      try {
        all = InetAddress.getAllByName(target.host());
      } catch (UnknownHostException e) {
        throw new WebhookUrlException("host " + target.host() + " does not resolve");
      }
      if (!allowPrivate) {
        for (InetAddress a : all) {
          String why = forbidden(a);
          if (why != null) {
            throw new WebhookUrlException("host " + target.host() + " resolves to " + why + " address "
                + a.getHostAddress());
          }
        }
      }
      resolved.put(target.host(), all[0]);
      return all[0];
    }, false);
  }

  /** Parses and resolves: the check made at registration. */
  public Future<Target> check(String url) {
    try {
      Target t = parse(url);
      return resolve(t).map(a -> t);
    } catch (WebhookUrlException e) {
      return Future.failedFuture(e);
    }
  }

  /** Why {@code a} is no receiver's address (the kind of range), or null when it is public. */
  static String forbidden(InetAddress a) {
    if (a instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      InetAddress embedded = embeddedIpv4(b);
      if (embedded != null) {
        String inner = forbidden(embedded);
        return inner == null ? null : "an IPv6 form of " + inner;
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return "a private (fc00::/7)";
      }
      if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
        return "a site-local (fec0::/10)";
      }
    }
    if (a.isAnyLocalAddress()) {
      return "an unspecified";
    }
    if (a.isLoopbackAddress()) {
      return "a loopback";
    }
    if (a.isLinkLocalAddress()) {
      return "a link-local or metadata";
    }
    if (a.isSiteLocalAddress()) {
      return "a private";
    }
    if (a.isMulticastAddress()) {
      return "a multicast";
    }
    if (a instanceof Inet4Address) {
      byte[] b = a.getAddress();
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      if (first == 0) {
        return "a \"this network\" (0/8)";
      }
      if (first == 100 && (second & 0xc0) == 64) {
        return "a carrier-grade NAT (100.64/10)";
      }
      if (first == 192 && second == 0 && (b[2] & 0xff) == 0) {
        return "a protocol-assignment (192.0.0/24)";
      }
      if (first == 198 && (second & 0xfe) == 18) {
        return "a benchmarking (198.18/15)";
      }
      if (first >= 240) {
        return "a reserved or broadcast (240/4)";
      }
    }
    return null;
  }

  /** The IPv4 address inside an IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address, else null. */
  private static InetAddress embeddedIpv4(byte[] b) {
    try {
      boolean compatible = Arrays.equals(Arrays.copyOf(b, 12), new byte[12]) && !(isZero(b, 12, 14) && (b[15] & 0xff) <= 1);
      boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff
          && (b[3] & 0xff) == 0x9b && isZero(b, 4, 11);
      if (compatible || nat64) {
        return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
      }
      if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
        return InetAddress.getByAddress(Arrays.copyOfRange(b, 2, 6));
      }
      return null;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i <= to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
