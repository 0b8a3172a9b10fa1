package dev.ledgerline.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A route's answer before it is sent, so that it can be stored under an idempotency key first.
 *
 * @param keep whether the answer is final and may be replayed; answers that depend on the moment (overload,
 *     outcome unknown, internal errors) are not kept, so a retry runs again
 * @param retryAfterSeconds a {@code Retry-After} header value, or 0 for none
 * @param headers further headers of this answer only: they describe the moment it was made (a balance's {@code ETag}
 *     and {@code Age}), so they are not part of what is stored for an idempotency key and a replay goes without them
 */
public record Reply(int status, String contentType, Buffer body, boolean keep, int retryAfterSeconds,
    Map<String, String> headers) {
  public static final String JSON = "application/json";
  /** Header set on an answer replayed from the idempotency store. */
  public static final String REPLAYED = "Idempotent-Replayed";

  public Reply {
    headers = Map.copyOf(headers);
  }

  public Reply(int status, String contentType, Buffer body, boolean keep, int retryAfterSeconds) {
    this(status, contentType, body, keep, retryAfterSeconds, Map.of());
  }

  public static Reply json(int status, Buffer body) {
    return new Reply(status, JSON, body, true, 0);
  }

  public static Reply problem(Problem p) {
    return problem(p, null);
  }

  /** A problem with extension members (RFC 9457 §3.2) such as {@code result} or {@code transfer_ids}. */
  public static Reply problem(Problem p, JsonObject extensions) {
    JsonObject j = p.toJson();
    if (extensions != null) {
      extensions.forEach(e -> j.put(e.getKey(), e.getValue()));
    }
    boolean keep = p.status() < 500;
    return new Reply(p.status(), Problem.CONTENT_TYPE, j.toBuffer(), keep, 0);
  }

  public Reply notKept() {
    return new Reply(status, contentType, body, false, retryAfterSeconds, headers);
  }

  public Reply withRetryAfter(int seconds) {
    return new Reply(status, contentType, body, keep, seconds, headers);
  }

  /** This answer with a further header, sent with it but never replayed (see {@code headers}). */
  public Reply withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new Reply(status, contentType, body, keep, retryAfterSeconds, h);
  }

  /** Sends the answer; problems get the request id added when they have none. */
  public void send(RoutingContext rc, boolean replayed) {
    var response = rc.response().setStatusCode(status).putHeader("Content-Type", contentType)
        .putHeader("Cache-Control", "no-store");
    if (replayed) {
      response.putHeader(REPLAYED, "true");
    }
    headers.forEach((name, value) -> response.putHeader(name, value));
    if (retryAfterSeconds > 0) {
      response.putHeader("Retry-After", String.valueOf(retryAfterSeconds));
    }
    Buffer out = body;
    if (Problem.CONTENT_TYPE.equals(contentType) && !replayed) {
      JsonObject j = new JsonObject(body);
      if (!j.containsKey("request_id") && rc.get(RequestIds.KEY) != null) {
        out = j.put("request_id", (String) rc.get(RequestIds.KEY)).toBuffer();
      }
    }
    response.end(out);
  }
}
