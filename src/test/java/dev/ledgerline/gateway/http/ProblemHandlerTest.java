package dev.ledgerline.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.gateway.auth.BearerAuthHandler;
import dev.ledgerline.gateway.auth.JwtAuthenticator;
import dev.ledgerline.gateway.auth.JwtSigner;
import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.auth.RequirePermission;
import dev.ledgerline.gateway.auth.TestKeys;
import dev.ledgerline.gateway.json.RequestParser;
import dev.ledgerline.users.Permission;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A real router with the gateway's building blocks in the recommended order. */
@ExtendWith(VertxExtension.class)
class ProblemHandlerTest {
  private static Vertx vertx;
  private static HttpServer server;
  private static WebClient client;
  private static KeyPair rsa;
  @TempDir
  static Path dir;

  @BeforeAll
  static void start(Vertx v) throws Exception {
    vertx = v;
    rsa = TestKeys.rsa();
    JwtAuthenticator auth = JwtAuthenticator.create(vertx, TestKeys.settings(
        List.of(TestKeys.writePublicPem(dir, "rsa.pem", rsa)), null, Set.of("RS256"), null, false, dir),
        Clock.systemUTC());
    Router router = Router.router(vertx);
    ProblemHandler.install(router);
    router.route().handler(new RequestIds("test"));
    router.route("/api/*").handler(JsonBodies.requireJson());
    router.route("/api/*").handler(new BearerAuthHandler(auth));
    router.post("/api/transfers").handler(JsonBodies.handler(1024));
    router.post("/api/transfers").handler(rc -> {
      var t = RequestParser.transfer(rc.body().buffer().getBytes());
      rc.json(new JsonObject().put("sub", Principal.of(rc).subject()).put("amount", t.amount().toString()));
    });
    router.get("/api/boom").handler(rc -> {
      throw new IllegalStateException("connection to db.internal:5432 failed for user ledger");
    });
    router.get("/api/fail").handler(rc -> rc.fail(new NullPointerException("secret")));
    router.get("/open/only-get").handler(rc -> rc.end("ok"));
    router.get("/open/conflict").handler(rc -> rc.fail(new ProblemException(Problem.of(409, "idempotency key in use")
        .withType("urn:ledgerline:problem:idempotency-conflict"))));
    router.get("/open/no-auth-admin").handler(RequirePermission.of(Permission.ADMIN_USERS)).handler(rc -> rc.end("never"));
    router.get("/api/admin").handler(RequirePermission.of(Permission.OPERATOR_READ)).handler(rc -> rc.end("admin"));
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    client = WebClient.create(vertx);
  }

  private static String token() {
    return JwtSigner.sign("RS256", null, TestKeys.claims(), rsa.getPrivate());
  }

  private static HttpResponse<Buffer> send(HttpMethod m, String path, String contentType, Buffer body, boolean auth) {
    HttpRequest<Buffer> r = client.request(m, server.actualPort(), "127.0.0.1", path);
    if (contentType != null) {
      r.putHeader("Content-Type", contentType);
    }
    if (auth) {
      r.putHeader("Authorization", "Bearer " + token());
    }
    return (body == null ? r.send() : r.sendBuffer(body)).await();
  }

  private static JsonObject problem(HttpResponse<Buffer> resp, int status) {
    assertThat(resp.statusCode()).isEqualTo(status);
    assertThat(resp.getHeader("Content-Type")).isEqualTo("application/problem+json");
    String text = resp.bodyAsString();
    assertThat(text).doesNotContain("Exception").doesNotContain("dev.ledgerline").doesNotContain("io.vertx")
        .doesNotContain("\tat ").doesNotContain("db.internal").doesNotContain("secret");
    JsonObject j = new JsonObject(text);
    assertThat(j.getInteger("status")).isEqualTo(status);
    assertThat(j.getString("type")).isNotBlank();
    assertThat(j.getString("title")).isNotBlank();
    assertThat(j.getString("request_id")).isEqualTo(resp.getHeader("X-Request-Id")).isNotBlank();
    return j;
  }

  private static final String VALID = "{\"debit_account_id\":\"1\",\"credit_account_id\":\"2\",\"amount\":\"100\","
      + "\"ledger\":1,\"code\":1}";

  @Test
  void validRequestPassesEveryStage() {
    var resp = send(HttpMethod.POST, "/api/transfers", "application/json; charset=utf-8", Buffer.buffer(VALID), true);
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(resp.bodyAsJsonObject()).isEqualTo(new JsonObject().put("sub", "alice").put("amount", "100"));
  }

  @Test
  void validationErrorsAre400WithFieldList() {
    String body = "{\"debit_account_id\":1,\"credit_account_id\":\"2\",\"amount\":\"1e3\",\"ledger\":1,\"code\":1,"
        + "\"code\":2}";
    JsonObject p = problem(send(HttpMethod.POST, "/api/transfers", "application/json", Buffer.buffer(body), true),
        400);
    assertThat(p.getString("type")).isEqualTo(Problem.TYPE_VALIDATION);
    assertThat(p.getJsonArray("errors").encode()).contains("{\"field\":\"debit_account_id\"")
        .contains("{\"field\":\"amount\"").contains("{\"field\":\"code\",\"reason\":\"duplicate key\"}");
  }

  @Test
  void oversizeBodyIs413() {
    String big = "{\"debit_account_id\":\"" + "1".repeat(2000) + "\"}";
    problem(send(HttpMethod.POST, "/api/transfers", "application/json", Buffer.buffer(big), true), 413);
  }

  @Test
  void nonJsonContentTypeIs415() {
    problem(send(HttpMethod.POST, "/api/transfers", "text/plain", Buffer.buffer(VALID), true), 415);
    problem(send(HttpMethod.POST, "/api/transfers", "multipart/form-data; boundary=x", Buffer.buffer("--x--"), true),
        415);
    problem(send(HttpMethod.POST, "/api/transfers", null, Buffer.buffer(VALID), true), 415);
    problem(send(HttpMethod.POST, "/api/transfers", "application/json; charset=latin1", Buffer.buffer(VALID), true),
        415);
  }

  @Test
  void missingOrBadTokenIs401WithChallengeAndNoReason() {
    var none = send(HttpMethod.POST, "/api/transfers", "application/json", Buffer.buffer(VALID), false);
    problem(none, 401);
    assertThat(none.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"ledgerline\"");

    var bad = client.post(server.actualPort(), "127.0.0.1", "/api/transfers")
        .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer " + token() + "x")
        .sendBuffer(Buffer.buffer(VALID)).await();
    JsonObject p = problem(bad, 401);
    assertThat(bad.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"ledgerline\", error=\"invalid_token\"");
    assertThat(p.getString("detail")).isEqualTo("a valid bearer token is required");
  }

  @Test
  void unexpectedFailuresAreGeneric500() {
    JsonObject p = problem(send(HttpMethod.GET, "/api/boom", null, null, true), 500);
    assertThat(p.getString("detail")).contains("request_id");
    problem(send(HttpMethod.GET, "/api/fail", null, null, true), 500);
  }

  @Test
  void routerNotFoundAndMethodNotAllowed() {
    problem(send(HttpMethod.GET, "/nowhere", null, null, false), 404);
    HttpResponse<Buffer> notAllowed = send(HttpMethod.DELETE, "/open/only-get", null, null, false);
    problem(notAllowed, 405);
    assertThat(notAllowed.getHeader("Allow")).isEqualTo("GET");
  }

  @Test
  void unauthenticatedOversizeBodyIsRefusedBeforeItIsRead() {
    String big = "{\"debit_account_id\":\"" + "1".repeat(5000) + "\"}";
    problem(send(HttpMethod.POST, "/api/transfers", "application/json", Buffer.buffer(big), false), 401);
  }

  @Test
  void problemExceptionIsSentAsGiven() {
    JsonObject p = problem(send(HttpMethod.GET, "/open/conflict", null, null, false), 409);
    assertThat(p.getString("type")).isEqualTo("urn:ledgerline:problem:idempotency-conflict");
    assertThat(p.getString("detail")).isEqualTo("idempotency key in use");
  }

  @Test
  void rolesAreEnforcedAndFailClosed() {
    problem(send(HttpMethod.GET, "/api/admin", null, null, true), 403); // the test token has role user only
    var admin = client.get(server.actualPort(), "127.0.0.1", "/api/admin").putHeader("Authorization", "Bearer "
        + JwtSigner.sign("RS256", null, TestKeys.claims().put("roles", new io.vertx.core.json.JsonArray().add("operator")),
            rsa.getPrivate())).send().await();
    assertThat(admin.statusCode()).isEqualTo(200);
    problem(send(HttpMethod.GET, "/open/no-auth-admin", null, null, false), 401);
  }

  @Test
  void problemJsonShape() {
    Problem p = Problem.validation(List.of(new dev.ledgerline.gateway.json.FieldError("transfers[3].amount",
        "must not have leading zeros"))).withRequestId("r-1");
    assertThat(p.toJson().encode()).isEqualTo("{\"type\":\"urn:ledgerline:problem:validation\",\"title\":"
        + "\"Invalid request\",\"status\":400,\"detail\":\"the request has 1 invalid field\",\"request_id\":"
        + "\"r-1\",\"errors\":[{\"field\":\"transfers[3].amount\",\"reason\":\"must not have leading zeros\"}]}");
    assertThat(Problem.of(404).toJson().encode()).isEqualTo("{\"type\":\"about:blank\",\"title\":\"Not Found\","
        + "\"status\":404}");
  }
}
