package dev.ledgerline.gateway.http;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.StrictJson;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;

/**
 * Body handling for a JSON API: a Content-Type check (415) and body handlers without file uploads and with small
 * limits (413). vert.x-web's defaults (10 MiB, uploads written to disk) are not suitable for a public API.
 *
 * <p>Route order: request ids, {@link #requireJson()}, authentication, then {@link #handler(long)}, so that an
 * unauthenticated or non-JSON request is refused before its body is buffered.
 */
public final class JsonBodies {
  /** {@code gateway.body-limit} default: 64 KiB. */
  public static final long DEFAULT_LIMIT = 64 * 1024;
  /** {@code gateway.batch-body-limit} default: 1.1 MiB. */
  public static final long DEFAULT_BATCH_LIMIT = 1_153_434;

  private JsonBodies() {}

  /** A body handler with uploads off and the given limit in bytes. */
  public static BodyHandler handler(long limitBytes) {
    return BodyHandler.create(false).setBodyLimit(limitBytes).setDeleteUploadedFilesOnEnd(true);
  }

  /** The body handler for single-object routes: {@code gateway.body-limit}. */
  public static BodyHandler standard(LedgerlineConfig config) {
    return handler(config.gatewaySettings().bodyLimit());
  }

  /** The body handler for batch routes: {@code gateway.batch-body-limit}. */
  public static BodyHandler batch(LedgerlineConfig config) {
    return handler(config.gatewaySettings().batchBodyLimit());
  }

  /**
   * Holds a request's body from the start of routing until the body handler reads it. Every step before the body
   * handler may complete asynchronously (token verification, revocation, rate limits); body bytes arriving meanwhile
   * (a client that sends its body together with the headers, or stops waiting for {@code 100 Continue}) would
   * otherwise be delivered to no handler and lost, leaving the body handler waiting for the rest forever. A request
   * answered before its body is read is resumed once the answer's headers are written, so the connection reads (and
   * drops) the rest and can serve its next request.
   */
  public static Handler<RoutingContext> holdBody() {
    return rc -> {
      if (!rc.request().isEnded()) {
        rc.request().pause();
        rc.addHeadersEndHandler(v -> rc.request().resume());
      }
      rc.next();
    };
  }

  /**
   * Fails with 415 a POST, PUT or PATCH whose Content-Type is not {@code application/json} (optionally with
   * {@code charset=utf-8}; JSON is UTF-8 by RFC 8259).
   */
  public static Handler<RoutingContext> requireJson() {
    return rc -> {
      HttpMethod m = rc.request().method();
      if ((m == HttpMethod.POST || m == HttpMethod.PUT || m == HttpMethod.PATCH)
          && !isJson(rc.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
        rc.fail(415);
        return;
      }
      rc.next();
    };
  }

  /**
   * For routes that take no body: anything but none or an empty JSON object (which many HTTP clients send by default)
   * is a 400 problem, and nothing runs.
   */
  public static Handler<RoutingContext> none() {
    return rc -> {
      // Unread (a route without a body handler): the headers tell whether one came.
      Buffer b = rc.body().available() ? rc.body().buffer() : null;
      boolean sent = isForm(rc) || (b == null ? hasBody(rc) : b.length() > 0 && !emptyJsonObject(rc, b));
      if (sent) {
        Reply.problem(Problem.validation(List.of(new FieldError(FieldError.ROOT,
            "this request takes no body (or {} as application/json)")))).send(rc, false);
        return;
      }
      rc.next();
    };
  }

  /**
   * A form (multipart or urlencoded): the body handler parses it into attributes and keeps no raw bytes, so its body
   * would look empty.
   */
  public static boolean isForm(RoutingContext rc) {
    String type = rc.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String t = type == null ? "" : type.trim().toLowerCase(Locale.ROOT);
    return t.startsWith("multipart/") || t.startsWith("application/x-www-form-urlencoded");
  }

  /** A body announced by the headers, on a route that does not read it. */
  private static boolean hasBody(RoutingContext rc) {
    String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    return rc.request().getHeader(HttpHeaders.TRANSFER_ENCODING) != null
        || length != null && !length.trim().equals("0");
  }

  private static boolean emptyJsonObject(RoutingContext rc, Buffer body) {
    try {
      return isJson(rc.request().getHeader(HttpHeaders.CONTENT_TYPE)) && StrictJson.object(body.getBytes()).isEmpty();
    } catch (InvalidRequestException e) {
      return false;
    }
  }

  public static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";");
    if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim().toLowerCase(Locale.ROOT);
      if (param.isEmpty()) {
        continue;
      }
      if (!param.equals("charset=utf-8") && !param.equals("charset=\"utf-8\"")) {
        return false;
      }
    }
    return true;
  }
}
