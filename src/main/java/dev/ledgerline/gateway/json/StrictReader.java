package dev.ledgerline.gateway.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.ledgerline.ledger.model.UInt128;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Token-level JSON reading for request bodies. Values are taken from the raw tokens, never through doubles, and every
 * problem is recorded with its path instead of stopping at the first one. Not thread-safe: one per body.
 */
final class StrictReader {
  /** More errors than this are not listed: the response stays small whatever the body. */
  static final int MAX_ERRORS = 100;
  private static final int MAX_NAME_IN_PATH = 64;
  static final int MAX_DEPTH = 32;
  static final int MAX_NUMBER_LENGTH = 64;
  static final int MAX_STRING_LENGTH = 64 * 1024;

  /**
   * Tight limits: request bodies are small, flat objects. The source is never echoed in error locations (it could
   * carry secrets into logs).
   */
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_DEPTH)
          .maxNumberLength(MAX_NUMBER_LENGTH)
          .maxStringLength(MAX_STRING_LENGTH)
          .build())
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
      .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
      .build();

  /** Reads one value at the parser's current token, consuming it fully; records errors itself. */
  interface FieldReader {
    void read(String name, String path, StrictReader in) throws IOException;
  }

  private final List<FieldError> errors = new ArrayList<>();
  private boolean truncated;
  final JsonParser p;

  private StrictReader(JsonParser p) {
    this.p = p;
  }

  /**
   * Parses one JSON object body: {@code root} reads its fields, then {@code build} checks what must be present and
   * builds the result. Throws {@link InvalidRequestException} when any error was recorded.
   */
  static <T> T parse(byte[] body, Map<String, String> refusedFields, Set<String> known, FieldReader root,
      java.util.function.Function<StrictReader, T> build) {
    if (body == null || body.length == 0) {
      throw new InvalidRequestException(List.of(new FieldError(FieldError.ROOT, "request body is empty")));
    }
    String encoding = encodingProblem(body);
    if (encoding != null) {
      throw new InvalidRequestException(List.of(new FieldError(FieldError.ROOT, encoding)));
    }
    StrictReader in;
    try {
      in = new StrictReader(FACTORY.createParser(body));
    } catch (IOException e) {
      throw new InvalidRequestException(List.of(new FieldError(FieldError.ROOT, "cannot read the body")));
    }
    T result = null;
    try (JsonParser p = in.p) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        in.error(FieldError.ROOT, "must be a JSON object");
      } else {
        in.object("", known, refusedFields, root);
        if (p.nextToken() != null) {
          in.error(FieldError.ROOT, "unexpected data after the JSON object");
        }
        // Runs even after errors so that missing required fields are reported together with the rest.
        result = build.apply(in);
      }
    } catch (JsonProcessingException e) {
      in.error(FieldError.ROOT, malformed(e));
    } catch (IOException e) {
      // Invalid UTF-8 and similar: the body is not JSON text.
      in.error(FieldError.ROOT, "malformed JSON: not valid UTF-8 text");
    }
    if (!in.errors.isEmpty()) {
      throw new InvalidRequestException(in.errors());
    }
    return result;
  }

  /**
   * Null when the body is in JSON text's one encoding (RFC 8259 §8.1: UTF-8, no byte order mark); else why not.
   * Jackson would guess UTF-16 or UTF-32 from NUL bytes and skip a BOM, and does not check the bytes inside strings it
   * skips. A raw NUL is never JSON: inside a string it must be escaped, and it is no whitespace.
   */
  static String encodingProblem(byte[] body) {
    boolean ascii = true;
    for (byte b : body) {
      if (b == 0) {
        return "malformed JSON: a NUL byte (JSON text is UTF-8, not UTF-16 or UTF-32)";
      }
      ascii &= b > 0;
    }
    if (ascii) {
      return null; // the usual case: no decoding needed
    }
    if (body.length >= 3 && body[0] == (byte) 0xEF && body[1] == (byte) 0xBB && body[2] == (byte) 0xBF) {
      return "malformed JSON: a byte order mark (JSON text is UTF-8 without one)";
    }
    try {
      java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(body));
      return null;
    } catch (java.nio.charset.CharacterCodingException e) {
      return "malformed JSON: not valid UTF-8";
    }
  }

  private static String malformed(JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    if (e instanceof StreamConstraintsException) {
      // Jackson's own text names its classes; the limits are said in our words.
      return "JSON exceeds the input limits (nesting depth " + MAX_DEPTH + ", numbers of " + MAX_NUMBER_LENGTH
          + " characters, strings of " + MAX_STRING_LENGTH + " characters)";
    }
    String what = e.getOriginalMessage();
    if (what == null) {
      what = "syntax error";
    }
    int nl = what.indexOf('\n');
    if (nl >= 0) {
      what = what.substring(0, nl);
    }
    what = what.replaceAll("`[^`]*`", "").replaceAll("\\s*\\(from [^)]*\\)", "");
    if (what.length() > 160) {
      what = what.substring(0, 160) + "...";
    }
    String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    return "malformed JSON" + where + ": " + what;
  }

  List<FieldError> errors() {
    List<FieldError> out = new ArrayList<>(errors);
    if (truncated) {
      out.add(new FieldError(FieldError.ROOT, "more than " + MAX_ERRORS + " errors; the rest are not listed"));
    }
    return out;
  }

  boolean hasErrors() {
    return !errors.isEmpty();
  }

  int errorCount() {
    return errors.size();
  }

  void error(String path, String reason) {
    if (errors.size() < MAX_ERRORS) {
      errors.add(new FieldError(path.isEmpty() ? FieldError.ROOT : path, reason));
    } else {
      truncated = true;
    }
  }

  static String child(String path, String name) {
    String safe = name.length() > MAX_NAME_IN_PATH ? name.substring(0, MAX_NAME_IN_PATH) + "..." : name;
    return path.isEmpty() ? safe : path + "." + safe;
  }

  static String index(String path, int i) {
    return path + "[" + i + "]";
  }

  /**
   * Reads the object whose START_OBJECT is the current token, up to its END_OBJECT. Duplicate keys, unknown fields and
   * refused fields (with their own reason) are errors; known fields go to {@code reader}.
   */
  void object(String path, Set<String> known, Map<String, String> refused, FieldReader reader) throws IOException {
    Set<String> seen = new HashSet<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
      if (t != JsonToken.FIELD_NAME) {
        throw new IllegalStateException("parser out of step: " + t);
      }
      String name = p.currentName();
      String fieldPath = child(path, name);
      p.nextToken();
      if (!seen.add(name)) {
        error(fieldPath, "duplicate key");
        p.skipChildren();
      } else if (refused.containsKey(name)) {
        error(fieldPath, refused.get(name));
        p.skipChildren();
      } else if (!known.contains(name)) {
        error(fieldPath, "unknown field");
        p.skipChildren();
      } else {
        reader.read(name, fieldPath, this);
      }
    }
  }

  /** Skips the current value (scalar or container) after an error. */
  void skip() throws IOException {
    p.skipChildren();
  }

  private String describeToken(JsonToken t) {
    switch (t) {
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "a JSON number";
      case VALUE_STRING:
        return "a string";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NULL:
        return "null";
      case START_ARRAY:
        return "an array";
      case START_OBJECT:
        return "an object";
      default:
        return "something else";
    }
  }

  /** u128 as a decimal string of digits; null (with an error recorded) otherwise. */
  UInt128 u128(String path) throws IOException {
    String s = decimal(path, Decimals::u128Problem);
    return s == null ? null : UInt128.parse(s);
  }

  /** u64 as a decimal string of digits, returned as the unsigned bits of a long; null on error. */
  Long u64(String path) throws IOException {
    String s = decimal(path, Decimals::u64Problem);
    return s == null ? null : Long.parseUnsignedLong(s);
  }

  /** The current value when it is a string {@code problem} finds nothing wrong with; else null, with an error. */
  private String decimal(String path, Function<String, String> problem) throws IOException {
    JsonToken t = p.currentToken();
    if (t != JsonToken.VALUE_STRING) {
      error(path, "must be a string of decimal digits, not " + describeToken(t)
          + (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT
              ? " (large integers lose precision as numbers; send \"123\")" : ""));
      skip();
      return null;
    }
    String s = p.getText();
    String reason = problem.apply(s);
    if (reason != null) {
      error(path, reason);
      return null;
    }
    return s;
  }

  /** An unsigned integer up to {@code max} written as a JSON integer; null on error. */
  Integer uint(String path, long max) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_FLOAT) {
      error(path, "must be an integer (no fraction or exponent)");
      return null;
    }
    if (t != JsonToken.VALUE_NUMBER_INT) {
      error(path, "must be a JSON integer from 0 to " + max + ", not " + describeToken(t));
      skip();
      return null;
    }
    String s = p.getText();
    if (s.startsWith("-")) {
      error(path, "must not be negative");
      return null;
    }
    if (s.length() > 10 || Long.parseLong(s) > max) {
      error(path, "must be at most " + max);
      return null;
    }
    return (int) Long.parseLong(s);
  }

  /** An array of flag names; returns the OR of their bits, or null on error. */
  Integer flags(String path, FlagNames names) throws IOException {
    JsonToken t = p.currentToken();
    if (t != JsonToken.START_ARRAY) {
      error(path, "must be an array of flag names such as [\"" + names.clientNames().get(0) + "\"]");
      skip();
      return null;
    }
    int bits = 0;
    boolean ok = true;
    Set<String> seen = new HashSet<>();
    int i = 0;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      String at = index(path, i++);
      if (t != JsonToken.VALUE_STRING) {
        error(at, "must be a flag name (a string), not " + describeToken(t));
        skip();
        ok = false;
        continue;
      }
      String name = p.getText();
      Integer bit = names.bit(name);
      if (bit == null) {
        error(at, "unknown " + names.kind() + " flag \"" + shorten(name) + "\"; known: "
            + String.join(", ", names.clientNames()));
        ok = false;
      } else if (FlagNames.NOT_FROM_CLIENTS.contains(name)) {
        error(at, "flag \"" + name + "\" is not accepted from clients");
        ok = false;
      } else if (!seen.add(name)) {
        error(at, "duplicate flag \"" + name + "\"");
        ok = false;
      } else {
        bits |= bit;
      }
    }
    return ok ? bits : null;
  }

  private static String shorten(String s) {
    return s.length() > MAX_NAME_IN_PATH ? s.substring(0, MAX_NAME_IN_PATH) + "..." : s;
  }
}
