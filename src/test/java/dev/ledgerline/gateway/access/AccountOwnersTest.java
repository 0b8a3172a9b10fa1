package dev.ledgerline.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.PostgresExtension;
import io.vertx.sqlclient.SqlClient;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link AccountOwners} against a real embedded PostgreSQL with the real migrations, counting its queries. */
class AccountOwnersTest {
  private static final AtomicInteger NEXT = new AtomicInteger();
  /** Ids of this run: apart from other runs' on a kept database, and below 2^128. */
  private static final long RUN = (System.currentTimeMillis() % 1_000_000_000L) * 1_000_000L;
  @RegisterExtension
  static final PostgresExtension postgres = new PostgresExtension();

  /** The node's pool, counting the statements prepared through it. */
  private static SqlClient counting(AtomicInteger queries) {
    SqlClient pool = postgres.pool();
    return (SqlClient) Proxy.newProxyInstance(SqlClient.class.getClassLoader(), new Class<?>[] {SqlClient.class},
        (proxy, method, args) -> {
          if (method.getName().equals("preparedQuery") || method.getName().equals("query")) {
            queries.incrementAndGet();
          }
          try {
            return method.invoke(pool, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Ids no other test of the run uses. */
  private static List<String> ids(int n) {
    long base = RUN + NEXT.getAndAdd(n);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(String.valueOf(base + i));
    }
    return out;
  }

  @Test
  void anOwnerIsRecordedForTheLedgersOkAndAStaleRowOfAnotherSubjectIsReplacedAndAnnounced() {
    List<String> reassigned = new CopyOnWriteArrayList<>();
    AccountOwners owners = new AccountOwners(postgres.pool(), 1000, Duration.ofSeconds(1), reassigned::add);
    String id = "340282366920938463463374607431768211455"; // 2^128 - 1: exact in numeric(39)
    owners.recordCreated(id, "alice").await();
    owners.recordCreated(id, "alice").await();
    assertThat(reassigned).isEmpty();
    assertThat(owners.ownerOf(id).await()).contains("alice");
    assertThat(new AccountOwners(postgres.pool(), 10, Duration.ZERO, x -> {}).ownerOf(id).await()).contains("alice");

    // Only a create the ledger answered ok calls this; a row of someone else is then stale.
    owners.recordCreated(id, "bob").await();
    assertThat(reassigned).containsExactly(id);
    assertThat(owners.ownerOf(id).await()).contains("bob");
    assertThat(new AccountOwners(postgres.pool(), 10, Duration.ZERO, x -> {}).ownerOf(id).await()).contains("bob");
  }

  @Test
  void theOwnersOfManyAccountsCostOneQueryAndKnownOwnersNone() {
    AtomicInteger queries = new AtomicInteger();
    AccountOwners owners = new AccountOwners(counting(queries), 1000, Duration.ofSeconds(1), x -> {});
    List<String> ids = ids(300);
    for (int i = 0; i < 200; i++) {
      owners.recordCreated(ids.get(i), "owner-" + (i % 3)).await();
    }
    AtomicInteger fresh = new AtomicInteger();
    AccountOwners cold = new AccountOwners(counting(fresh), 1000, Duration.ofSeconds(1), x -> {});
    Map<String, String> found = cold.ownersOf(ids).await();
    assertThat(fresh.get()).as("one query for 300 ids").isEqualTo(1);
    assertThat(found).hasSize(200);
    assertThat(found.get(ids.get(4))).isEqualTo("owner-1");
    assertThat(found).doesNotContainKey(ids.get(250));
    // Known owners and the recent "no owner" answers are served from memory.
    assertThat(cold.ownersOf(ids).await()).isEqualTo(found);
    assertThat(fresh.get()).isEqualTo(1);
  }

  @Test
  void noOwnerIsBelievedOnlyForTheNegativeTtl() throws Exception {
    String id = ids(1).get(0);
    AtomicInteger queries = new AtomicInteger();
    AccountOwners patient = new AccountOwners(counting(queries), 1000, Duration.ofMinutes(5), x -> {});
    assertThat(patient.ownerOf(id).await()).isEqualTo(Optional.empty());
    assertThat(patient.ownerOf(id).await()).isEqualTo(Optional.empty());
    assertThat(queries.get()).as("the second answer came from memory").isEqualTo(1);
    // Created through another node: a node sees it once its negative answer has expired.
    AccountOwners node1 = new AccountOwners(postgres.pool(), 1000, Duration.ofMillis(300), x -> {});
    AccountOwners node2 = new AccountOwners(postgres.pool(), 1000, Duration.ofMillis(300), x -> {});
    assertThat(node1.ownerOf(id).await()).isEqualTo(Optional.empty());
    node2.recordCreated(id, "carol").await();
    Poll.until(Duration.ofSeconds(10), "the owner becomes visible", () -> node1.ownerOf(id).await().isPresent());
    assertThat(node1.ownerOf(id).await()).contains("carol");
    // A node that still believes "no owner" asks again when the answer will be stored (an account create's).
    assertThat(patient.ownerOf(id).await()).isEmpty();
    assertThat(patient.ownerOfUncached(id).await()).contains("carol");
    assertThat(patient.ownerOf(id).await()).contains("carol");
    // The creating node never answers "no owner" for what it recorded, even inside the TTL.
    String other = ids(1).get(0);
    assertThat(node2.ownerOf(other).await()).isEmpty();
    node2.recordCreated(other, "dave").await();
    assertThat(node2.ownerOf(other).await()).contains("dave");
  }

  @Test
  void aZeroTtlAsksEveryTime() {
    AtomicInteger queries = new AtomicInteger();
    AccountOwners owners = new AccountOwners(counting(queries), 1000, Duration.ZERO, x -> {});
    String id = ids(1).get(0);
    owners.ownerOf(id).await();
    owners.ownerOf(id).await();
    assertThat(queries.get()).isEqualTo(2);
  }
}
