package dev.ledgerline.gateway.routes;

import dev.ledgerline.events.search.TransactionSearch;
import dev.ledgerline.events.search.TransactionSearch.Position;
import dev.ledgerline.events.search.TransactionSearch.Query;
import dev.ledgerline.gateway.access.Access;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.Decimals;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.stream.StreamCursorKey;
import dev.ledgerline.gateway.stream.StreamCursors;
import dev.ledgerline.transactions.saga.PaymentStatus;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/transactions/search}: the caller's transactions (payments and transfers touching accounts they own;
 * operators and admins see all), ranked for {@code q} and filtered. Every parameter is read strictly: unknown or
 * repeated parameters, control characters, amounts that are not u128 decimals, dates that are not RFC 3339, empty
 * ranges and cursors this service did not hand out for this caller and these filters are 400 problem+json.
 *
 * <p>The cursor is sealed with the cluster's cursor key ({@link StreamCursors#seal}) and bound to the caller and the
 * filters: it cannot be forged, edited, or replayed by someone else or with other filters.
 */
public final class SearchRoutes {
  /** A search that ran past {@code search.statement-timeout}: to be narrowed. */
  public static final String TYPE_TOO_BROAD = "urn:ledgerline:problem:search-too-broad";
  public static final String PATH = "/v1/transactions/search";
  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;
  static final int MAX_Q = 200;
  private static final String PURPOSE = "transactions.search";
  private static final Set<String> PARAMS = Set.of("q", "status", "account_id", "kind", "min_amount", "max_amount",
      "from", "to", "cursor", "limit");
  private static final Set<String> KINDS = Set.of("payment", "transfer");
  /** Payments' statuses and transfers' (pending, posted, voided). */
  static final Set<String> STATUSES = statuses();
  private static final Pattern CURSOR_BODY = Pattern.compile("^(0|[1-9][0-9]{0,8})(\\.[0-9]{1,6})?\\|-?[0-9]{1,19}\\|"
      + "[A-Za-z0-9._:-]{1,128}$");

  private final TransactionSearch search;
  private final StreamCursorKey cursorKey;

  public SearchRoutes(TransactionSearch search, StreamCursorKey cursorKey) {
    this.search = search;
    this.cursorKey = cursorKey;
  }

  public Handler<RoutingContext> search() {
    return Answers.answer(rc -> {
      StreamCursors sealer = cursorKey.current();
      if (sealer == null) {
        return Future.succeededFuture(Reply.problem(Problem.of(503, "search cursors are not available yet; retry "
            + "shortly")).withRetryAfter(1));
      }
      Principal p = Principal.of(rc);
      Parsed parsed = parse(rc.queryParams(), p, sealer);
      return search.search(parsed.query()).map(page -> {
        JsonObject out = new JsonObject().put("data", new JsonArray(new ArrayList<>(page.rows())));
        Position next = page.next();
        out.put("next_cursor", next == null ? null : sealer.seal(PURPOSE, parsed.binding(),
            next.score().toPlainString() + "|" + next.createdMicros() + "|" + next.id()));
        return Reply.json(200, out.toBuffer());
      });
    }, e -> e instanceof TransactionSearch.TooBroadException tb
        ? Reply.problem(Problem.of(422, tb.getMessage() + "; narrow it (account_id, from and to, status, kind)")
            .withType(TYPE_TOO_BROAD))
        : e instanceof TransactionSearch.BusyException busy
        ? Reply.problem(Problem.of(503, busy.getMessage() + "; retry later")).withRetryAfter(1)
        : e instanceof TransactionSearch.TooComplexException tc
        ? Reply.problem(Problem.validation(List.of(new FieldError("q", tc.getMessage()))))
        : LedgerReplies.of(e));
  }

  private record Parsed(Query query, String binding) {}

  static Parsed parse(MultiMap params, Principal p, StreamCursors sealer) {
    QueryParams query = QueryParams.strict(params, PARAMS);
    // The filters in one canonical order: the binding of this query's cursors.
    TreeMap<String, String> filters = new TreeMap<>();
    for (String name : params.names()) {
      if (!PARAMS.contains(name) || params.getAll(name).size() > 1) continue;
      String value = params.get(name);
      if (hasControl(value)) {
        query.error(name, "must not contain control characters");
      } else if (!name.equals("cursor") && !name.equals("limit")) {
        filters.put(name, value);
      }
    }
    query.requireValid();
    List<FieldError> errors = query.errors();
    String q = params.get("q");
    if (q != null && (q.isBlank() || q.length() > MAX_Q)) {
      errors.add(new FieldError("q", "must be 1 to " + MAX_Q + " characters, not only spaces"));
    }
    String status = params.get("status");
    if (status != null && !STATUSES.contains(status)) {
      errors.add(new FieldError("status", "must be one of " + String.join(", ", STATUSES)));
    }
    String kind = params.get("kind");
    if (kind != null && !KINDS.contains(kind)) errors.add(new FieldError("kind", "must be payment or transfer"));
    BigInteger account = u128(params, "account_id", errors);
    BigInteger min = u128(params, "min_amount", errors);
    BigInteger max = u128(params, "max_amount", errors);
    if (min != null && max != null && min.compareTo(max) > 0) {
      errors.add(new FieldError("min_amount", "must not be greater than max_amount"));
    }
    Instant from = time(params, "from", errors);
    Instant to = time(params, "to", errors);
    if (from != null && to != null && !from.isBefore(to)) errors.add(new FieldError("from", "must be before to"));
    int limit = query.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    String binding = p.subject() + "\n" + filters;
    Position after = null;
    String cursor = params.get("cursor");
    if (cursor != null) {
      after = position(sealer, binding, cursor);
      if (after == null) errors.add(new FieldError("cursor", "is not a cursor of this search (for these filters)"));
    }
    if (!errors.isEmpty()) throw new InvalidRequestException(errors);
    String owner = Access.privileged(p) ? null : p.subject();
    return new Parsed(new Query(owner, q == null ? null : q.strip(), status, kind, account, min, max, from, to, limit,
        after), binding);
  }

  private static Position position(StreamCursors sealer, String binding, String cursor) {
    String body;
    try {
      body = sealer.open(PURPOSE, binding, cursor);
    } catch (StreamCursors.Refused e) {
      return null;
    }
    if (!CURSOR_BODY.matcher(body).matches()) return null;
    String[] parts = body.split("\\|", 3);
    return new Position(new BigDecimal(parts[0]), Long.parseLong(parts[1]), parts[2]);
  }

  private static BigInteger u128(MultiMap params, String name, List<FieldError> errors) {
    String v = params.get(name);
    if (v == null) return null;
    String problem = Decimals.u128Problem(v);
    if (problem != null) {
      errors.add(new FieldError(name, problem));
      return null;
    }
    return new BigInteger(v);
  }

  /** An RFC 3339 date-time with an offset, between the years 1 and 9999 (PostgreSQL's timestamptz range is wider). */
  private static Instant time(MultiMap params, String name, List<FieldError> errors) {
    String v = params.get(name);
    if (v == null) return null;
    try {
      if (v.length() > 40) throw new DateTimeParseException("too long", v, 0);
      OffsetDateTime t = OffsetDateTime.parse(v);
      if (t.getYear() < 1 || t.getYear() > 9999) throw new DateTimeParseException("out of range", v, 0);
      return t.toInstant();
    } catch (DateTimeParseException e) {
      errors.add(new FieldError(name, "must be an RFC 3339 date-time with an offset, e.g. 2026-01-02T03:04:05Z"));
      return null;
    }
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(++i)))) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> statuses() {
    Set<String> s = new LinkedHashSet<>(List.of("pending", "posted", "voided"));
    for (PaymentStatus st : PaymentStatus.values()) s.add(st.wireName());
    return s;
  }
}
