package dev.ledgerline.infra;

import java.net.URI;
import java.net.URISyntaxException;

/** The first check of every service URL in the configuration, so each service words a missing or bad one alike. */
public final class ServiceUri {
  private ServiceUri() {}

  /**
   * {@code url} (trimmed) as a URI; an {@link InvalidUrlException} naming {@code service} and the {@code expected}
   * shape when it is missing or malformed. What the URI must hold is the service's own check.
   */
  public static URI parse(String service, String url, String expected) {
    if (url == null || url.isBlank()) {
      throw new InvalidUrlException(service + " URL is missing; expected " + expected);
    }
    try {
      return new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new InvalidUrlException(service + " URL is malformed (" + e.getReason() + "); expected " + expected);
    }
  }
}
