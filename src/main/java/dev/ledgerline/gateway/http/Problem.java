package dev.ledgerline.gateway.http;

import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.tracing.TraceContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Objects;

/**
 * An RFC 9457 problem detail ({@code application/problem+json}): {@code type}, {@code title}, {@code status},
 * {@code detail}, {@code request_id} and, for validation errors, {@code errors: [{field, reason}]}. Immutable; the
 * {@code with*} methods return copies. Texts are written for clients: never exception messages or class names.
 */
public record Problem(String type, String title, int status, String detail, String requestId,
    List<FieldError> errors) {
  public static final String CONTENT_TYPE = "application/problem+json";
  /** RFC 9457 §4.2: the status code alone says what happened. */
  public static final String ABOUT_BLANK = "about:blank";
  /** Problem types of this API (URNs: stable identifiers, not pages to fetch). */
  public static final String TYPE_VALIDATION = "urn:ledgerline:problem:validation";
  public static final String TYPE_UNAUTHORIZED = "urn:ledgerline:problem:unauthorized";

  public Problem {
    Objects.requireNonNull(type);
    Objects.requireNonNull(title);
    errors = errors == null ? null : List.copyOf(errors);
  }

  /** A problem of type about:blank whose title is the status' reason phrase. */
  public static Problem of(int status) {
    return new Problem(ABOUT_BLANK, HttpResponseStatus.valueOf(status).reasonPhrase(), status, null, null, null);
  }

  public static Problem of(int status, String detail) {
    return of(status).withDetail(detail);
  }

  /** 400 with the list of field errors. */
  public static Problem validation(List<FieldError> errors) {
    return new Problem(TYPE_VALIDATION, "Invalid request", 400, "the request has " + errors.size()
        + (errors.size() == 1 ? " invalid field" : " invalid fields"), null, errors);
  }

  public Problem withType(String type) {
    return new Problem(type, title, status, detail, requestId, errors);
  }

  public Problem withTitle(String title) {
    return new Problem(type, title, status, detail, requestId, errors);
  }

  public Problem withDetail(String detail) {
    return new Problem(type, title, status, detail, requestId, errors);
  }

  public Problem withRequestId(String requestId) {
    return new Problem(type, title, status, detail, requestId, errors);
  }

  public Problem withErrors(List<FieldError> errors) {
    return new Problem(type, title, status, detail, requestId, errors);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("type", type).put("title", title).put("status", status);
    if (detail != null) {
      j.put("detail", detail);
    }
    if (requestId != null) {
      j.put("request_id", requestId);
    }
    if (errors != null) {
      JsonArray a = new JsonArray();
      for (FieldError e : errors) {
        a.add(new JsonObject().put("field", e.field()).put("reason", e.reason()));
      }
      j.put("errors", a);
    }
    return j;
  }

  public Buffer toBuffer() {
    return toJson().toBuffer();
  }

  /** Ends the response with this problem, adding the request's id when it has none and its trace id when traced. */
  public Future<Void> send(RoutingContext rc) {
    Problem p = requestId == null && RequestIds.of(rc) != null ? withRequestId(RequestIds.of(rc)) : this;
    JsonObject body = p.toJson();
    String traceId = TraceContext.traceId();
    if (traceId != null) {
      body.put("trace_id", traceId);
    }
    return rc.response().setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store").end(body.toBuffer());
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
