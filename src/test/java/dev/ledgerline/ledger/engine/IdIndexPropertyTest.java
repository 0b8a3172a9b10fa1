package dev.ledgerline.ledger.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The id index agrees with a HashMap under inserts, LIFO removals (rollback) and growth. */
class IdIndexPropertyTest {

  @Property(tries = 200)
  void agreesWithAHashMap(@ForAll @Size(max = 400) List<@IntRange(min = 0, max = 3) Integer> ops,
      @ForAll long seed) {
    List<long[]> keys = new ArrayList<>(); // index -> (lo, hi); indexes are dense like records
    IdIndex index = new IdIndex(4) {
      @Override
      boolean keyEquals(int i, long lo, long hi) {
        return keys.get(i)[0] == lo && keys.get(i)[1] == hi;
      }
    };
    Map<List<Long>, Integer> model = new HashMap<>();
    java.util.Random rnd = new java.util.Random(seed);
    for (int op : ops) {
      if (op <= 1) { // insert a new id (clustered values provoke collisions)
        long lo = rnd.nextInt(64) == 0 ? rnd.nextLong() : rnd.nextInt(5000);
        long hi = rnd.nextInt(8);
        if (model.containsKey(List.of(lo, hi))) continue;
        assertThat(index.find(lo, hi)).isEqualTo(-1);
        keys.add(new long[] {lo, hi});
        index.insert(lo, hi, keys.size() - 1);
        model.put(List.of(lo, hi), keys.size() - 1);
      } else if (op == 2 && !keys.isEmpty()) { // roll back the newest insert
        long[] k = keys.remove(keys.size() - 1);
        index.remove(k[0], k[1], keys.size());
        model.remove(List.of(k[0], k[1]));
      } else { // look up present and absent ids
        for (Map.Entry<List<Long>, Integer> e : model.entrySet()) {
          assertThat(index.find(e.getKey().get(0), e.getKey().get(1))).isEqualTo(e.getValue());
        }
        assertThat(index.find(-5, -5)).isEqualTo(-1);
      }
    }
    assertThat(index.size()).isEqualTo(model.size());
    for (Map.Entry<List<Long>, Integer> e : model.entrySet()) {
      assertThat(index.find(e.getKey().get(0), e.getKey().get(1))).isEqualTo(e.getValue());
    }
  }
}
