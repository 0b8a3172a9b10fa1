package dev.ledgerline.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.testing.NodeExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code ledger.publish-committed} reaches the ledger verticle through the typed configuration. */
class PublishCommittedConfigTest {

  @Test
  void publishingCommittedTransfersIsOnByDefaultAndOffWhenConfigured() {
    assertThat(NodeExtension.configWith(Map.of()).current().ledger().publishCommitted()).isTrue();
    assertThat(NodeExtension.configWith(Map.of("ledger.publish-committed", "false")).current().ledger().publishCommitted())
        .isFalse();
  }
}
