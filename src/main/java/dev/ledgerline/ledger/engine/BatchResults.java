package dev.ledgerline.ledger.engine;

import dev.ledgerline.ledger.Operation;
import dev.ledgerline.ledger.model.EventResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Collects the failures of one batch (index, code), ascending. */
public final class BatchResults {
  int[] index = new int[64];
  int[] code = new int[64];
  int count;

  void reset() {
    count = 0;
  }

  void add(int i, int c) {
    if (count == index.length) {
      index = Arrays.copyOf(index, count * 2);
      code = Arrays.copyOf(code, count * 2);
    }
    index[count] = i;
    code[count] = c;
    count++;
  }

  public int count() {
    return count;
  }

  public int index(int i) {
    return index[i];
  }

  public int code(int i) {
    return code[i];
  }

  /** The failures as {@code op}'s results. */
  <R extends EventResult> List<R> toList(Operation<?, R> op) {
    if (count == 0) return List.of();
    List<R> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) out.add(op.result(index[i], code[i]));
    return Collections.unmodifiableList(out);
  }
}
