package dev.ledgerline.ledger.model;

final class FlagNames {
  private FlagNames() {}

  static String join(int flags, String[] names) {
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
