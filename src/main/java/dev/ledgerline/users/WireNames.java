package dev.ledgerline.users;

import java.util.Locale;

/** The users' enums travel (in tokens, JSON and rows) as their names in lower case. */
final class WireNames {
  private WireNames() {}

  static String of(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The constant of {@code values} whose wire name is {@code name}, or null when none is. */
  static <E extends Enum<E>> E parse(E[] values, String name) {
    for (E v : values) {
      if (of(v).equals(name)) {
        return v;
      }
    }
    return null;
  }
}
