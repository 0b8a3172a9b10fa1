package dev.ledgerline.gateway.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.List;

/**
 * A small JSON object body read strictly into a {@link JsonObject}, for routes whose fields are checked by their
 * domain (the admin API): one object, valid UTF-8, no duplicate members (which a lenient reader resolves silently,
 * last one wins), no text PostgreSQL would not store as sent, no number beyond a double, bounded depth and sizes.
 * Anything else is an {@link InvalidRequestException} at the root.
 */
public final class StrictJson {
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxNumberLength(64)
          .maxStringLength(64 * 1024).build())
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private StrictJson() {}

  public static JsonObject object(byte[] body) {
    if (body == null || body.length == 0) {
      throw root("request body is empty");
    }
    String encoding = StrictReader.encodingProblem(body);
    if (encoding != null) {
      throw root(encoding);
    }
    // First pass: the checks a lenient reader skips; the second builds the object.
    try (JsonParser p = FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw root("must be a JSON object");
      }
      for (int depth = 1; depth > 0; ) {
        JsonToken t = p.nextToken();
        if (t == null) {
          throw root("malformed JSON");
        }
        switch (t) {
          case START_OBJECT, START_ARRAY -> depth++;
          case END_OBJECT, END_ARRAY -> depth--;
          case FIELD_NAME, VALUE_STRING -> storable(p.getText());
          case VALUE_NUMBER_FLOAT -> {
            if (!Double.isFinite(p.getDoubleValue())) throw root("a number is beyond the range of a double");
          }
          default -> { }
        }
      }
      if (p.nextToken() != null) {
        throw root("unexpected data after the JSON object");
      }
      return new JsonObject(Buffer.buffer(body));
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      throw root(m.contains("Duplicate field") ? "malformed JSON: a member appears twice" : "malformed JSON");
    }
  }

  /**
   * Text PostgreSQL stores as sent: no NUL (neither {@code text} nor {@code jsonb} holds one) and no unpaired
   * surrogate (no UTF-8 encodes one: it would be stored as "?").
   */
  private static void storable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        throw root("a string holds U+0000 (NUL), which is not stored");
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw root("a string holds an unpaired UTF-16 surrogate, which UTF-8 cannot encode");
      }
    }
  }

  private static InvalidRequestException root(String reason) {
    return new InvalidRequestException(List.of(new FieldError(FieldError.ROOT, reason)));
  }
}
