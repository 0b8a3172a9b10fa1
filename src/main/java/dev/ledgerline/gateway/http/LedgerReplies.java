package dev.ledgerline.gateway.http;

import dev.ledgerline.gateway.json.InvalidRequestException;
import dev.ledgerline.ledger.LedgerOutcomeUnknownException;
import dev.ledgerline.ledger.LedgerOverloadedException;
import dev.ledgerline.ledger.LedgerTimeoutException;
import dev.ledgerline.ledger.LedgerUnavailableException;
import dev.ledgerline.ledger.RequestTooLargeException;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.ResultCode;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps ledger outcomes and failures to HTTP answers. */
public final class LedgerReplies {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerReplies.class);
  public static final String TYPE_LEDGER_RESULT = "urn:ledgerline:problem:ledger-result";
  public static final String TYPE_OUTCOME_UNKNOWN = "urn:ledgerline:problem:outcome-unknown";
  public static final String TYPE_NOT_LEADER = "urn:ledgerline:problem:not-leader";

  private LedgerReplies() {}

  /** The answer for a failure of a route's future. */
  public static Reply of(Throwable e) {
    if (e instanceof Refused r) {
      return r.reply();
    }
    if (e instanceof ProblemException pe) {
      return Reply.problem(pe.problem());
    }
    if (e instanceof InvalidRequestException ie) {
      // Not kept: a corrected body may be sent again with the same key.
      return Reply.problem(Problem.validation(ie.errors())).notKept();
    }
    if (e instanceof LedgerOverloadedException oe) {
      return Reply.problem(Problem.of(503, "the ledger is overloaded; nothing was executed, retry later"))
          .notKept().withRetryAfter((int) Math.max(1, oe.retryAfter().toSeconds()));
    }
    if (e instanceof LedgerTimeoutException te) {
      return outcomeUnknown("the ledger did not answer in time", te.ids());
    }
    if (e instanceof LedgerOutcomeUnknownException oe) {
      return outcomeUnknown("the ledger stopped before it could confirm the write", oe.ids());
    }
    if (e instanceof RequestTooLargeException) {
      return Reply.problem(ProblemHandler.standard(413));
    }
    if (e instanceof dev.ledgerline.ledger.LedgerNotLeaderException) {
      return Reply.problem(Problem.of(503, "this ledger node does not hold the write lease; nothing was executed, "
          + "retry later").withType(TYPE_NOT_LEADER)).notKept().withRetryAfter(1);
    }
    if (e instanceof LedgerUnavailableException) {
      return Reply.problem(Problem.of(503, "the ledger is unavailable; retry later")).notKept().withRetryAfter(1);
    }
    LOG.error("request failed", e);
    return Reply.problem(ProblemHandler.standard(500)).notKept();
  }

  private static Reply outcomeUnknown(String what, java.util.List<UInt128> idList) {
    JsonArray ids = new JsonArray();
    for (UInt128 id : idList) {
      ids.add(id.toString());
    }
    return Reply.problem(Problem.of(504, what + "; the outcome is unknown. Look the listed ids up "
            + "(GET /v1/transfers/{id} or /v1/accounts/{id}) or retry with the same ids")
        .withType(TYPE_OUTCOME_UNKNOWN), new JsonObject().put("ids", ids)).notKept();
  }

  /** Status of a single create_transfers result. */
  public static int status(CreateTransferResult r) {
    return switch (r) {
      case ID_ALREADY_FAILED -> 409;
      case DEBIT_ACCOUNT_NOT_FOUND, CREDIT_ACCOUNT_NOT_FOUND, PENDING_TRANSFER_NOT_FOUND -> 404;
      default -> createStatus(r);
    };
  }

  public static int status(CreateAccountResult r) {
    return createStatus(r);
  }

  /** What both creates share: ok is created, exists is the same object again, a different one is a conflict. */
  private static int createStatus(ResultCode r) {
    return switch (r.tbName()) {
      case "ok" -> 201;
      case "exists" -> 200;
      default -> r.tbName().startsWith("exists_with_different_") ? 409 : 422;
    };
  }

  /**
   * 409 for a taken id, worded the same whatever the caller may know of the object that holds it: {@code "result":
   * "exists"}. {@code object} names its kind with an article, e.g. "an account".
   */
  public static Reply idTaken(String object, UInt128 id) {
    return Reply.problem(Problem.of(409, object + " with this id already exists").withType(TYPE_LEDGER_RESULT),
        new JsonObject().put("result", "exists").put("id", id.toString()));
  }

  /** A problem carrying the ledger's result name, e.g. {@code "result": "exceeds_credits"}. */
  public static Reply resultProblem(int status, String result, UInt128 id) {
    String detail = switch (status) {
      case 404 -> "the ledger refused the request: " + result;
      case 409 -> "an object with this id already exists and differs: " + result;
      default -> "the ledger refused the request: " + result;
    };
    return Reply.problem(Problem.of(status, detail).withType(TYPE_LEDGER_RESULT),
        new JsonObject().put("result", result).put("id", id.toString()));
  }
}
