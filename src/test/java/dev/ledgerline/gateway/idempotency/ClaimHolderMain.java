package dev.ledgerline.gateway.idempotency;

import dev.ledgerline.infra.postgres.PostgresUrl;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in gateway process for crash tests: holds an incarnation, claims one idempotency key (arguments: PostgreSQL
 * URL, subject, key, body) and runs until killed.
 */
public final class ClaimHolderMain {
  private ClaimHolderMain() {}

  public static void main(String[] args) throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    PostgresUrl url = PostgresUrl.parse(args[0]);
    ClaimHolder holder = ClaimHolder.start(vertx, url.connectOptions());
    SqlClient sql = PgBuilder.client().with(new PoolOptions().setMaxSize(1)).connectingTo(url.connectOptions())
        .using(vertx).build();
    IdempotencyStore store = new IdempotencyStore(vertx, sql, sql, Duration.ofHours(1), Duration.ZERO, holder);
    IdempotencyStore.Claim claim = store.begin(args[1], args[2], IdempotencyClaimsTest.ROUTE,
        IdempotencyStore.fingerprint(IdempotencyClaimsTest.ROUTE, Buffer.buffer(args[3]))).await();
    System.out.println("CLAIMED " + claim.getClass().getSimpleName());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
