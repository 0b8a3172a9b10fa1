package dev.ledgerline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The console's p99 from cumulative latency buckets, over the requests since the previous tick. */
class NodeSummaryTest {
  private static Map<Double, Double> buckets(double... boundAndCount) {
    Map<Double, Double> m = new TreeMap<>();
    for (int i = 0; i < boundAndCount.length; i += 2) m.put(boundAndCount[i], boundAndCount[i + 1]);
    return m;
  }

  @Test
  void theQuantileIsTheBoundOfTheBucketThatHoldsIt() {
    Map<Double, Double> before = buckets(10, 100, 50, 100, 250, 100);
    // Since then: 98 requests within 10 ms, one within 50 ms, one within 250 ms.
    Map<Double, Double> now = buckets(10, 198, 50, 199, 250, 200);
    assertThat(NodeSummary.quantile(now, before, 100, 0.99)).isEqualTo(50.0);
    assertThat(NodeSummary.quantile(now, before, 100, 0.5)).isEqualTo(10.0);
    assertThat(NodeSummary.quantile(now, before, 100, 1.0)).isEqualTo(250.0);
  }

  @Test
  void noRequestsNoQuantileAndBeyondEveryBucketTheLargestBound() {
    Map<Double, Double> same = buckets(10, 5, 50, 5);
    assertThat(NodeSummary.quantile(same, same, 0, 0.99)).isNull();
    assertThat(NodeSummary.quantile(buckets(10, 0, 50, 0), buckets(), 3, 0.99)).isEqualTo(50.0);
  }

  @Test
  void theManagementServersOwnRoutesAreNotApiTraffic() {
    assertThat(NodeSummary.management("/metrics")).isTrue();
    assertThat(NodeSummary.management("/health/ready")).isTrue();
    assertThat(NodeSummary.management("/console/feed")).isTrue();
    assertThat(NodeSummary.management("/v1/accounts/:id")).isFalse();
    assertThat(NodeSummary.management(null)).isFalse();
  }
}
