package dev.ledgerline.gateway.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A small JSON object body read strictly into a {@link JsonObject}, for routes whose fields are checked by their
 * domain (the admin API): one object, valid UTF-8, no duplicate members (which a lenient reader resolves silently,
 * last one wins), bounded depth and sizes. Anything else is an {@link InvalidRequestException} at the root.
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
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
    } catch (CharacterCodingException e) {
      throw root("malformed JSON: not valid UTF-8");
    }
    // First pass: the checks a lenient reader skips; the second builds the object.
    try (JsonParser p = FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw root("must be a JSON object");
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw root("unexpected data after the JSON object");
      }
      return new JsonObject(Buffer.buffer(body));
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      throw root(m.contains("Duplicate field") ? "malformed JSON: a member appears twice" : "malformed JSON");
    }
  }

  private static InvalidRequestException root(String reason) {
    return new InvalidRequestException(List.of(new FieldError(FieldError.ROOT, reason)));
  }
}
