package dev.ledgerline.infra.postgres;

import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A batch of rows as one array per column: the parameters of a statement that writes them all at once with
 * {@code UNNEST($1::uuid[], $2::text[], ...)}, one round trip instead of one per row.
 */
public final class ArrayColumns {
  private ArrayColumns() {
  }

  /** {@code column} of every row, in row order, in a new array from {@code array} (e.g. {@code UUID[]::new}). */
  public static <T, C> C[] of(List<T> rows, Function<? super T, ? extends C> column, IntFunction<C[]> array) {
    C[] out = array.apply(rows.size());
    for (int i = 0; i < out.length; i++) {
      out[i] = column.apply(rows.get(i));
    }
    return out;
  }
}
