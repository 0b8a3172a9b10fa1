package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.json.Decimals;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Paging parameters of list routes, read strictly: {@code limit} 1-1000 (default 100), {@code order} asc or desc, and
 * an opaque {@code cursor}: base64url of the direction and the next inclusive timestamp bound. Unknown or repeated
 * parameters are refused, as unknown body fields are.
 *
 * @param timestampMin inclusive lower bound (0 = none), from an ascending cursor
 * @param timestampMax inclusive upper bound (0 = none), from a descending cursor
 */
public record Page(int limit, boolean descending, long timestampMin, long timestampMax) {
  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;
  private static final Pattern CURSOR = Pattern.compile("^[ad]:[1-9][0-9]{0,19}$");

  /** Reads the paging parameters; {@code allowed} are the route's other parameters. */
  public static Page read(MultiMap params, Set<String> allowed) {
    Set<String> names = new HashSet<>(allowed);
    names.addAll(Set.of("limit", "order", "cursor"));
    QueryParams q = QueryParams.strict(params, names);
    int limit = q.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    List<FieldError> errors = q.errors();
    String o = params.get("order");
    Boolean desc = null;
    if (o != null) {
      if (o.equals("asc") || o.equals("desc")) {
        desc = o.equals("desc");
      } else {
        errors.add(new FieldError("order", "must be asc or desc"));
      }
    }
    long min = 0;
    long max = 0;
    String c = params.get("cursor");
    if (c != null) {
      String text = decode(c);
      if (text == null) {
        errors.add(new FieldError("cursor", "is not a cursor of this API"));
      } else {
        boolean cursorDesc = text.charAt(0) == 'd';
        if (desc != null && desc != cursorDesc) {
          errors.add(new FieldError("cursor", "belongs to the other order"));
        }
        desc = cursorDesc;
        long bound = Long.parseUnsignedLong(text.substring(2));
        if (cursorDesc) {
          max = bound;
        } else {
          min = bound;
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
    return new Page(limit, desc != null && desc, min, max);
  }

  /** The cursor that continues after the entry with {@code lastTimestamp}. */
  public String next(long lastTimestamp) {
    String text = descending ? "d:" + Long.toUnsignedString(lastTimestamp - 1)
        : "a:" + Long.toUnsignedString(lastTimestamp + 1);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static String decode(String cursor) {
    if (cursor.isEmpty() || cursor.length() > 40) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
      if (!CURSOR.matcher(text).matches() || Decimals.u64Problem(text.substring(2)) != null) {
        return null;
      }
      // Only the canonical spelling is accepted, so a cursor is exactly what this API handed out.
      String again = Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.US_ASCII));
      return again.equals(cursor) ? text : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Reads an optional u32 query parameter. */
  static int u32(MultiMap params, String name, List<FieldError> errors) {
    String v = params.get(name);
    if (v == null) {
      return 0;
    }
    if (!v.matches("^(0|[1-9][0-9]{0,9})$") || Long.parseLong(v) > 0xFFFF_FFFFL) {
      errors.add(new FieldError(name, "must be an integer from 0 to 4294967295"));
      return 0;
    }
    return (int) Long.parseLong(v);
  }

  /** Reads an optional boolean query parameter. */
  static boolean bool(MultiMap params, String name, boolean dflt, List<FieldError> errors) {
    String v = params.get(name);
    if (v == null) {
      return dflt;
    }
    if (!v.equals("true") && !v.equals("false")) {
      errors.add(new FieldError(name, "must be true or false"));
      return dflt;
    }
    return v.equals("true");
  }
}
