package dev.ledgerline.ledger.engine;

import java.util.Arrays;

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
}
