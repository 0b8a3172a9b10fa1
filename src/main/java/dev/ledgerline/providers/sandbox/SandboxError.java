package dev.ledgerline.providers.sandbox;

import io.vertx.core.json.JsonObject;

/**
 * A refusal the sandbox answers with Plaid's error object: {@code error_type}, {@code error_code},
 * {@code error_message}, {@code display_message}, {@code request_id}, with Plaid's HTTP status.
 */
final class SandboxError extends RuntimeException {
  final int status;
  final String type;
  final String code;

  SandboxError(int status, String type, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.code = code;
  }

  static SandboxError invalidRequest(String code, String message) {
    return new SandboxError(400, "INVALID_REQUEST", code, message);
  }

  static SandboxError invalidInput(String code, String message) {
    return new SandboxError(400, "INVALID_INPUT", code, message);
  }

  static SandboxError missing(String field) {
    return invalidRequest("MISSING_FIELDS", "the following required fields are missing: " + field);
  }

  static SandboxError invalidField(String field, String why) {
    return invalidRequest("INVALID_FIELD", field + " " + why);
  }

  /** The error an injected fault of mode {@code error} answers with: Plaid's status and type for the code. */
  static SandboxError injected(String code) {
    return switch (code) {
      case "RATE_LIMIT_EXCEEDED", "ACCOUNTS_LIMIT", "ACCOUNTS_BALANCE_GET_LIMIT", "TRANSFER_LIMIT" ->
          new SandboxError(429, "RATE_LIMIT_EXCEEDED", code, "rate limit exceeded (injected fault)");
      case "PLANNED_MAINTENANCE" -> new SandboxError(503, "API_ERROR", code, "planned maintenance (injected fault)");
      case "INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING", "INSTITUTION_NOT_AVAILABLE" ->
          new SandboxError(400, "INSTITUTION_ERROR", code, "the institution is not available (injected fault)");
      case "INVALID_ACCESS_TOKEN", "INVALID_PUBLIC_TOKEN", "INVALID_API_KEYS" ->
          new SandboxError(400, "INVALID_INPUT", code, "invalid input (injected fault)");
      case "ITEM_LOGIN_REQUIRED", "ITEM_NOT_FOUND" ->
          new SandboxError(400, "ITEM_ERROR", code, "the item needs attention (injected fault)");
      case "INVALID_FIELD", "MISSING_FIELDS", "INVALID_BODY" ->
          new SandboxError(400, "INVALID_REQUEST", code, "invalid request (injected fault)");
      default -> new SandboxError(500, "API_ERROR", code, "an unexpected error occurred (injected fault)");
    };
  }

  JsonObject body(String requestId) {
    return new JsonObject().put("display_message", (Object) null).put("documentation_url",
            "https://plaid.com/docs/errors/").put("error_code", code).put("error_message", getMessage())
        .put("error_type", type).put("request_id", requestId).put("status", status)
        .put("suggested_action", (Object) null);
  }
}
