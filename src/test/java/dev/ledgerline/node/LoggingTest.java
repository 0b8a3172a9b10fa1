package dev.ledgerline.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LoggingTest {
  private final Logger access = LoggerFactory.getLogger(Logging.ACCESS_LOGGER);

  @AfterEach
  void restore() {
    Logging.setLevels("INFO", true);
  }

  @Test
  void accessLinesAreOnByDefaultAndFollowTheRootLevel() {
    var cfg = ConfigService.load(new ConfigService.Source(null, Map.of(), Map.of(), Map.of())).current();
    assertThat(cfg.logging().access()).isTrue();
    Logging.setLevels("INFO", true);
    assertThat(access.isInfoEnabled()).isTrue();
    Logging.setLevels("WARN", true);
    assertThat(access.isInfoEnabled()).isFalse();
  }

  @Test
  void switchingAccessOffSilencesOnlyAccessLines() {
    Logging.setLevels("INFO", false);
    assertThat(access.isInfoEnabled()).isFalse();
    assertThat(LoggerFactory.getLogger(LoggingTest.class).isInfoEnabled()).isTrue();
    Logging.setLevels("INFO", true);
    assertThat(access.isInfoEnabled()).isTrue();
  }
}
