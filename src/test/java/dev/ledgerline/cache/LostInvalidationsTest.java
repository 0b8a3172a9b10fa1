package dev.ledgerline.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LostInvalidationsTest {
  @Test
  void keysAndTagsAreKeptUpToTheBoundAndTheOverflowIsToldOnce() {
    LostInvalidations lost = new LostInvalidations(3);
    assertThat(lost.add(List.of("k1", "k2"), List.of())).isFalse();
    assertThat(lost.add(List.of("k2"), List.of("t1"))).isFalse();
    assertThat(lost.size()).isEqualTo(3);
    assertThat(lost.add(List.of("k3"), List.of())).isTrue();
    assertThat(lost.add(List.of(), List.of("t2"))).isFalse();
    assertThat(lost.size()).isEqualTo(3);
  }

  @Test
  void chunksTakeKeysFirstThenTagsAndTheEmptySetArmsTheBoundAgain() {
    LostInvalidations lost = new LostInvalidations(4);
    lost.add(List.of("k1", "k2", "k3"), List.of("t1"));
    assertThat(lost.add(List.of("k4"), List.of())).isTrue();
    assertThat(lost.take(2)).isEqualTo(new LostInvalidations.Chunk(List.of("k1", "k2"), List.of()));
    assertThat(lost.take(2)).isEqualTo(new LostInvalidations.Chunk(List.of("k3"), List.of("t1")));
    assertThat(lost.take(2)).isNull();
    lost.add(List.of("a", "b", "c", "d"), List.of());
    assertThat(lost.add(List.of("e"), List.of())).isTrue();
  }
}
