package dev.ledgerline.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The parts that need no Redis: local buckets, policies, decisions. Time is passed in, so nothing waits. */
class LocalBucketsTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void localBucketRefillsWithTheGivenClock() {
    LocalBuckets b = new LocalBuckets(100);
    Policy p = new Policy("transfers.create", 2, 4);
    assertThat(b.take("k", p, 0).allowed()).isTrue();
    assertThat(b.take("k", p, 0).allowed()).isTrue();
    Decision denied = b.take("k", p, 0);
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.resetSeconds()).isEqualTo(1); // 250 ms, rounded up
    assertThat(b.take("k", p, SECOND / 4).allowed()).isTrue();
    assertThat(b.take("k", p, SECOND / 4).allowed()).isFalse();
  }

  @Test
  void fullBucketsAreDroppedAndTheMapIsBounded() {
    LocalBuckets b = new LocalBuckets(10);
    Policy p = new Policy("default", 5, 5);
    for (int i = 0; i < 100; i++) {
      b.take("k" + i, p, 0);
      assertThat(b.size()).isLessThanOrEqualTo(10);
    }
    b.sweep(2 * SECOND); // everything has refilled by then
    assertThat(b.size()).isZero();
  }

  @Test
  void policyWindowAndShareOfOneMember() {
    assertThat(new Policy("transfers.create", 100, 100).header()).isEqualTo("\"transfers.create\";q=100;w=1");
    assertThat(new Policy("auth.revoke", 100, 10).header()).isEqualTo("\"auth.revoke\";q=100;w=10");
    Policy shared = new Policy("x", 7, 3).divided(3);
    assertThat(shared.capacity()).isEqualTo(2);
    assertThat(shared.refillPerSecond()).isEqualTo(1.0);
    assertThat(new Policy("x", 2, 3).divided(5).capacity()).as("never below one request").isEqualTo(1);
  }

  @Test
  void operationNamesCannotCarryKeySyntax() {
    for (String bad : new String[] {"", "A", "a b", "x:y", "a\r\nFLUSHALL", "{x}", "a".repeat(65)}) {
      assertThat(RateLimiter.isOperationName(bad)).as(bad).isFalse();
      assertThatThrownBy(() -> new Policy(bad, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(RateLimiter.isOperationName("transfers.create")).isTrue();
  }

  @RepeatedTest(20)
  void retryAfterIsNeverEarlierThanTheNextTokenAndJitterIsSmall() {
    Decision d = Decision.of(false, new Policy("x", 1, 0.1), 0, 9_001);
    assertThat(d.resetSeconds()).isEqualTo(10);
    assertThat(d.retryAfterSeconds()).isBetween(10L, 12L);
    assertThat(Decision.of(false, new Policy("x", 1, 1000), 0, 1).retryAfterSeconds()).isBetween(1L, 2L);
    assertThat(Decision.of(true, new Policy("x", 1, 1000), 0, 1).retryAfterSeconds()).isZero();
  }
}
