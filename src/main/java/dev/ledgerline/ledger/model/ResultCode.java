package dev.ledgerline.ledger.model;

import java.util.Locale;

/**
 * A create result code ({@link CreateAccountResult}, {@link CreateTransferResult}): TigerBeetle's wire value and
 * snake_case name. Both enums declare their constants in TigerBeetle's order of descending precedence.
 */
public interface ResultCode {
  /** The numeric value on the wire. */
  int code();

  /** TigerBeetle's snake_case name, e.g. {@code linked_event_failed}: the constant's name in lower case. */
  default String tbName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The constant's name (implemented by the enum). */
  String name();

  /** Declaration order (implemented by the enum). */
  int ordinal();

  /** Precedence rank: 0 is the highest (declaration order). */
  default int precedence() {
    return ordinal();
  }

  /** Lookups by wire value and by name over one enum's constants. */
  final class Table<T extends Enum<T> & ResultCode> {
    private final T[] byCode;
    private final String kind;

    public Table(T[] values) {
      this.kind = values[0].getDeclaringClass().getSimpleName();
      this.byCode = values.clone();
      for (T r : values) byCode[r.code()] = r;
    }

    public T fromCode(int code) {
      if (code < 0 || code >= byCode.length) throw new IllegalArgumentException("unknown " + kind + " code " + code);
      return byCode[code];
    }

    public T fromName(String tbName) {
      for (T r : byCode) if (r.tbName().equals(tbName)) return r;
      throw new IllegalArgumentException("unknown " + kind + " name " + tbName);
    }
  }
}
