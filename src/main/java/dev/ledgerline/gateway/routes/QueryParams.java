package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A list route's query string, read strictly as bodies are: unknown or repeated parameters, out-of-range integers and
 * foreign cursors are collected as field errors, so one 400 names them all.
 */
final class QueryParams {
  private static final Pattern INTEGER = Pattern.compile("0|[1-9][0-9]{0,8}");
  private static final Pattern SEQUENCE = Pattern.compile("[1-9][0-9]{0,18}");

  private final MultiMap params;
  private final List<FieldError> errors = new ArrayList<>();

  private QueryParams(MultiMap params) {
    this.params = params;
  }

  /** Refuses names outside {@code allowed} with {@code unknownMessage}, and any name given twice. */
  static QueryParams strict(MultiMap params, Set<String> allowed, String unknownMessage) {
    QueryParams q = new QueryParams(params);
    for (String name : params.names()) {
      if (!allowed.contains(name)) {
        q.error(name, unknownMessage);
      } else if (params.getAll(name).size() > 1) {
        q.error(name, "must be given at most once");
      }
    }
    return q;
  }

  static QueryParams strict(MultiMap params, Set<String> allowed) {
    return strict(params, allowed, "unknown query parameter");
  }

  String get(String name) {
    return params.get(name);
  }

  /** The parameter as an integer from {@code min} to {@code max}, or {@code dflt} when absent or refused. */
  int integer(String name, int dflt, int min, int max) {
    String v = params.get(name);
    if (v == null) {
      return dflt;
    }
    if (!INTEGER.matcher(v).matches() || Integer.parseInt(v) < min || Integer.parseInt(v) > max) {
      error(name, "must be an integer from " + min + " to " + max);
      return dflt;
    }
    return Integer.parseInt(v);
  }

  /** The decoded cursor, or null when absent or when {@code decode} refuses it (null), which is an error. */
  <T> T cursor(String name, Function<String, T> decode, String message) {
    String v = params.get(name);
    if (v == null) {
      return null;
    }
    T decoded = decode.apply(v);
    if (decoded == null) {
      error(name, message);
    }
    return decoded;
  }

  void error(String name, String message) {
    errors.add(new FieldError(name, message));
  }

  List<FieldError> errors() {
    return errors;
  }

  /** Throws the collected errors as one 400. */
  void requireValid() {
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
  }

  /** An opaque cursor over a positive sequence number: base64url of {@code prefix} and the number. */
  static String encodeSequence(String prefix, long n) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((prefix + n).getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * A page of a list keyed by sequence numbers, as list routes answer: {@code data}, {@code has_more} and, when there
   * is more ({@code nextAfter} not null), the {@code next_cursor} that continues after {@code nextAfter}.
   */
  static <T> JsonObject page(List<T> items, Function<T, JsonObject> json, Long nextAfter, String cursorPrefix) {
    JsonArray data = new JsonArray();
    items.forEach(item -> data.add(json.apply(item)));
    JsonObject body = new JsonObject().put("data", data).put("has_more", nextAfter != null);
    if (nextAfter != null) {
      body.put("next_cursor", encodeSequence(cursorPrefix, nextAfter));
    }
    return body;
  }

  /** The number of a cursor, or null when it is not exactly a cursor {@link #encodeSequence} handed out. */
  static Long decodeSequence(String prefix, String cursor) {
    if (cursor.isEmpty() || cursor.length() > 40) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
      if (!text.startsWith(prefix) || !SEQUENCE.matcher(text.substring(prefix.length())).matches()) {
        return null;
      }
      long n = Long.parseLong(text.substring(prefix.length()));
      return encodeSequence(prefix, n).equals(cursor) ? n : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
