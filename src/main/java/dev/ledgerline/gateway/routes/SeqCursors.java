package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Keyset paging over a positive 63-bit position (a row's sequence or id): {@code limit} and an opaque {@code cursor},
 * base64url of {@code <prefix>:<position>}. Only the exact spelling this API hands out is accepted, so a cursor of
 * another list (another prefix) is refused. Unknown or repeated parameters are refused, as unknown body fields are.
 *
 * @param after the position the page starts after (0 = from the start)
 */
record SeqCursors(int limit, long after) {
  private static final Set<String> PARAMS = Set.of("cursor", "limit");
  private static final Pattern POSITION = Pattern.compile("[1-9][0-9]{0,18}");

  /** Reads {@code limit} (1 to {@code max}, default {@code dflt}) and {@code cursor} of the list {@code prefix}. */
  static SeqCursors read(MultiMap q, String prefix, int dflt, int max) {
    List<FieldError> errors = new ArrayList<>();
    for (String name : q.names()) {
      if (!PARAMS.contains(name)) {
        errors.add(new FieldError(name, "unknown query parameter"));
      } else if (q.getAll(name).size() > 1) {
        errors.add(new FieldError(name, "must be given at most once"));
      }
    }
    int limit = dflt;
    String lim = q.get("limit");
    if (lim != null) {
      if (!lim.matches("[1-9][0-9]{0,3}") || Integer.parseInt(lim) > max) {
        errors.add(new FieldError("limit", "must be an integer from 1 to " + max));
      } else {
        limit = Integer.parseInt(lim);
      }
    }
    long after = 0;
    String cursor = q.get("cursor");
    if (cursor != null) {
      Long position = decode(prefix, cursor);
      if (position == null) {
        errors.add(new FieldError("cursor", "is not a cursor of this API"));
      } else {
        after = position;
      }
    }
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
    return new SeqCursors(limit, after);
  }

  static String encode(String prefix, long position) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((prefix + ":" + position).getBytes(StandardCharsets.US_ASCII));
  }

  /** The position of a cursor of list {@code prefix}, or null when it is not exactly one this API handed out. */
  static Long decode(String prefix, String cursor) {
    if (cursor.isEmpty() || cursor.length() > 40) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
      if (!text.startsWith(prefix + ":") || !POSITION.matcher(text.substring(prefix.length() + 1)).matches()) {
        return null;
      }
      long position = Long.parseLong(text.substring(prefix.length() + 1));
      return encode(prefix, position).equals(cursor) ? position : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
