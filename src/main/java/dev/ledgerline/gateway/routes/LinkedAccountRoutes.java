package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Refused;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.gateway.json.StrictJson;
import dev.ledgerline.providers.BalanceReads.BalanceRead;
import dev.ledgerline.providers.InvalidProviderTokenException;
import dev.ledgerline.providers.LinkedAccounts;
import dev.ledgerline.providers.LinkedAccounts.Link;
import dev.ledgerline.providers.PaymentProvider.Account;
import dev.ledgerline.providers.PaymentProvider.Balances;
import dev.ledgerline.providers.ProviderException;
import dev.ledgerline.providers.ProviderUnavailableException;
import dev.ledgerline.vault.VaultException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/linked-accounts...}: link a bank with a provider's public token, list the caller's links, read a link's
 * balances (stale while the provider is away), and delete a link (its vault row first: the access token is
 * crypto-shredded). Strictly the owner's: a link of another user, whoever asks (operators and admins too), is 404,
 * the same answer as an id nobody has, because a link is the user's credential at their bank. No answer, problem or
 * log line carries an access token; provider error texts are not passed on either, only what they mean.
 */
public final class LinkedAccountRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(LinkedAccountRoutes.class);
  public static final String PATH = "/v1/linked-accounts";
  public static final String CREATE = "POST " + PATH;
  public static final String TYPE_RELINK_REQUIRED = "urn:ledgerline:problem:relink-required";
  public static final String TYPE_INVALID_PUBLIC_TOKEN = "urn:ledgerline:problem:invalid-public-token";
  public static final String TYPE_PROVIDER_REJECTED = "urn:ledgerline:problem:provider-rejected";
  public static final String TYPE_PROVIDER_UNAVAILABLE = "urn:ledgerline:problem:provider-unavailable";
  static final int DEFAULT_LIMIT = 50;
  /** The prefix of this route's list cursors. */
  private static final String CURSOR = "l:";
  /** Plaid's public tokens are about 60 characters; anything far longer is not one. */
  static final int MAX_PUBLIC_TOKEN = 256;
  private static final Set<String> LIST_PARAMS = Set.of("cursor", "limit");
  private static final Pattern VISIBLE_ASCII = Pattern.compile("[\\x21-\\x7e]+");

  /** The problem type of a DELETE refused because a payment on the link has not ended. */
  public static final String TYPE_LINK_IN_USE = "urn:ledgerline:problem:link-in-use";

  /** Whether the owner has a payment on the link that has not ended. */
  @FunctionalInterface
  public interface LinkInUse {
    Future<Boolean> test(String owner, String linkedAccountId);
  }

  /** Null when the vault is not configured on this node: every route then answers 503. */
  private final LinkedAccounts linked;
  private final LinkInUse inUse;

  public LinkedAccountRoutes(LinkedAccounts linked, LinkInUse inUse) {
    this.linked = linked;
    this.inUse = inUse;
  }

  /** POST: 201 with the link's public part; the access token is in the vault. */
  public Future<Reply> create(RoutingContext rc, Principal p, String key) {
    return Answers.replying(() -> {
      LinkedAccounts l = available();
      String publicToken = publicToken(rc.body().buffer());
      return l.link(p.subject(), publicToken).map(link -> {
        rc.response().putHeader("Location", PATH + "/" + link.id());
        return Reply.json(201, linkJson(link).toBuffer());
      });
    }, e -> reply(e, true));
  }

  /** GET the caller's links, oldest first: {@code limit} (1-100, default 50) and {@code cursor}. */
  public Handler<RoutingContext> list() {
    return answer(rc -> {
      LinkedAccounts l = available();
      QueryParams q = QueryParams.strict(rc.queryParams(), LIST_PARAMS);
      int limit = q.integer("limit", DEFAULT_LIMIT, 1, LinkedAccounts.MAX_PAGE);
      Long seq = q.cursor("cursor", LinkedAccountRoutes::decodeCursor, "is not a cursor of this API");
      long after = seq == null ? 0 : seq;
      q.requireValid();
      return l.list(Principal.of(rc).subject(), after, limit).map(page -> Reply.json(200,
          QueryParams.page(page.links(), LinkedAccountRoutes::linkJson, page.nextAfter(), CURSOR).toBuffer()));
    });
  }

  /**
   * GET a link's balances: fresh (200), or the last good ones while the provider is unavailable (200 with
   * {@code "stale": true} and an {@code Age} header), else 503 with Retry-After. A token the provider no longer
   * accepts is 409 relink-required.
   */
  public Handler<RoutingContext> balances() {
    return answer(rc -> {
      LinkedAccounts l = available();
      UUID id = id(rc);
      return l.find(Principal.of(rc).subject(), id).compose(found -> {
        Link link = found.orElseThrow(Answers::notFound);
        return l.balances(link).map(read -> {
          if (read.stale()) {
            rc.response().putHeader("Age", String.valueOf(read.age().toSeconds()));
          }
          return Reply.json(200, balancesJson(link, read).toBuffer());
        });
      });
    });
  }

  /**
   * DELETE a link: its vault row (crypto-shred), then its public part; 204. 409 while one of the owner's payments on
   * it has not ended: its saga may still need the access token to create, cancel or find its provider transfer.
   */
  public Handler<RoutingContext> delete() {
    return answer(rc -> {
      LinkedAccounts l = available();
      UUID id = id(rc);
      String owner = Principal.of(rc).subject();
      return inUse.test(owner, id.toString()).compose(busy -> {
        if (busy) {
          throw new Refused(Reply.problem(Problem.of(409, "a payment on this linked account has not ended yet; "
              + "delete it once the payment is completed, compensated or failed").withType(TYPE_LINK_IN_USE))
              .notKept());
        }
        return l.unlink(owner, id);
      }).map(deleted -> {
        if (!deleted) {
          throw Answers.notFound();
        }
        return new Reply(204, Reply.JSON, Buffer.buffer(), true, 0);
      });
    });
  }

  private LinkedAccounts available() {
    return Answers.vaultBacked(linked, "linked accounts");
  }

  /** Reads {@code {"public_token": "..."}} strictly: one member, a string of visible ASCII. */
  static String publicToken(Buffer body) {
    JsonObject json = StrictJson.object(body == null ? null : body.getBytes());
    List<FieldError> errors = new ArrayList<>();
    for (String name : json.fieldNames()) {
      if (!name.equals("public_token")) {
        errors.add(new FieldError(name.length() > 64 ? name.substring(0, 64) : name, "unknown field"));
      }
    }
    Object token = json.getValue("public_token");
    if (token == null) {
      errors.add(new FieldError("public_token", "is required"));
    } else if (!(token instanceof String s)) {
      errors.add(new FieldError("public_token", "must be a string"));
    } else if (s.isEmpty() || s.length() > MAX_PUBLIC_TOKEN || !VISIBLE_ASCII.matcher(s).matches()) {
      errors.add(new FieldError("public_token", "must be 1 to " + MAX_PUBLIC_TOKEN + " visible ASCII characters"));
    }
    if (!errors.isEmpty()) {
      throw new InvalidRequestException(errors);
    }
    return (String) token;
  }

  private static UUID id(RoutingContext rc) {
    return Answers.pathId(rc, "a linked account id");
  }

  static Long decodeCursor(String cursor) {
    return QueryParams.decodeSequence(CURSOR, cursor);
  }

  static JsonObject linkJson(Link link) {
    JsonArray accounts = new JsonArray();
    for (Account a : link.accounts()) {
      accounts.add(accountJson(a));
    }
    return new JsonObject().put("id", link.id().toString()).put("institution", link.institution())
        .put("accounts", accounts).put("created_at", link.createdAt().toString());
  }

  private static JsonObject accountJson(Account a) {
    return new JsonObject().put("account_id", a.accountId()).put("name", a.name()).put("mask", a.mask())
        .put("type", a.type()).put("subtype", a.subtype());
  }

  /** The read's accounts with their balances; money is a decimal string, as exact as the provider gave it. */
  static JsonObject balancesJson(Link link, BalanceRead read) {
    JsonArray accounts = new JsonArray();
    for (Account a : read.accounts().accounts()) {
      Balances b = a.balances();
      JsonObject balances = new JsonObject().put("available", money(b == null ? null : b.available()))
          .put("current", money(b == null ? null : b.current())).put("limit", money(b == null ? null : b.limit()))
          .put("iso_currency_code", b == null ? null : b.isoCurrencyCode());
      accounts.add(accountJson(a).put("balances", balances));
    }
    return new JsonObject().put("id", link.id().toString()).put("institution", link.institution())
        .put("stale", read.stale()).put("fetched_at", read.fetchedAt().toString()).put("accounts", accounts);
  }

  private static String money(BigDecimal v) {
    return v == null ? null : v.toPlainString();
  }

  private static Handler<RoutingContext> answer(Function<RoutingContext, Future<Reply>> route) {
    return Answers.answer(route, e -> reply(e, false));
  }

  /**
   * The answer a failure stands for. {@code linking}: the provider refused a public token (the caller's input, 422)
   * rather than a stored access token (the link must be made again, 409).
   */
  static Reply reply(Throwable e, boolean linking) {
    if (e instanceof Refused r) {
      return r.reply();
    }
    if (e instanceof InvalidRequestException ie) {
      return Reply.problem(Problem.validation(ie.errors())).notKept();
    }
    if (e instanceof ProviderUnavailableException u) {
      int seconds = (int) Math.max(1, Math.min(3600, u.retryAfter() == null ? 1 : u.retryAfter().toSeconds()));
      return Reply.problem(Problem.of(503, "the bank-data provider is unavailable and no recent balances are kept;"
              + " retry later").withType(TYPE_PROVIDER_UNAVAILABLE).withTitle("Provider unavailable"))
          .notKept().withRetryAfter(seconds);
    }
    if (e instanceof InvalidProviderTokenException t) {
      if (linking) {
        return Reply.problem(Problem.of(422, "the provider does not accept this public_token: it is unknown, expired"
                + " or already used (" + t.errorCode() + "); start Link again for a new one")
            .withType(TYPE_INVALID_PUBLIC_TOKEN).withTitle("Invalid public token")
            .withErrors(List.of(new FieldError("public_token", "not accepted by the provider"))));
      }
      return Reply.problem(Problem.of(409, "the bank link is no longer valid at the provider (" + t.errorCode()
          + "): the user must link the bank again").withType(TYPE_RELINK_REQUIRED).withTitle("Relink required"));
    }
    if (e instanceof VaultException v && v.reason() == VaultException.Reason.MISSING) {
      // The public part outlived its token (a delete that stopped half-way): only a new link helps.
      return Reply.problem(Problem.of(409, "this bank link has no stored credentials: the user must link the bank"
          + " again").withType(TYPE_RELINK_REQUIRED).withTitle("Relink required"));
    }
    if (e instanceof ProviderException pe) {
      // The provider answered and refused; its message is not passed on (it may echo the request).
      LOG.warn("the provider refused a linked-accounts request: {} {}", pe.errorType(), pe.errorCode());
      return Reply.problem(Problem.of(502, "the bank-data provider refused the request (" + pe.errorCode() + ")")
          .withType(TYPE_PROVIDER_REJECTED).withTitle("Provider refused")).notKept();
    }
    if (e instanceof VaultException v) {
      LOG.error("a linked account's token cannot be read: {} ({})", v.reason(), v.getMessage());
      return Reply.problem(ProblemHandler.standard(500)).notKept();
    }
    LOG.warn("linked accounts: {}", e.getClass().getSimpleName() + ": " + e.getMessage());
    return Reply.problem(Problem.of(503, "linked accounts cannot be read or written right now; retry later"))
        .notKept().withRetryAfter(1);
  }
}
