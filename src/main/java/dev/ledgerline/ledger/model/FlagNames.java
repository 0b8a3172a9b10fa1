package dev.ledgerline.ledger.model;

/** TigerBeetle's lower-case names of a packed flags field, bit 0 first. */
final class FlagNames {
  private final String kind;
  private final String[] names;

  /** {@code kind} names the field in errors, e.g. {@code account flag}. */
  FlagNames(String kind, String... names) {
    this.kind = kind;
    this.names = names;
  }

  /** The bit of {@code name}; an unknown name is an {@link IllegalArgumentException}. */
  int bit(String name) {
    for (int i = 0; i < names.length; i++) if (names[i].equals(name)) return 1 << i;
    throw new IllegalArgumentException("unknown " + kind + ": " + name);
  }

  /** The set bits' names, then any set bit without a name as {@code padding=}, e.g. {@code [linked,pending]}. */
  String join(int flags) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < names.length; i++) {
      if ((flags & (1 << i)) != 0) {
        if (sb.length() > 1) sb.append(',');
        sb.append(names[i]);
      }
    }
    int padding = flags & ~((1 << names.length) - 1);
    if (padding != 0) sb.append(sb.length() > 1 ? "," : "").append("padding=").append(padding);
    return sb.append(']').toString();
  }
}
