package dev.ledgerline.ledger.model;

import java.math.BigInteger;

/**
 * An unsigned 128-bit integer held as two longs (TigerBeetle's u128). Immutable; arithmetic is unsigned and
 * checked, decimal parse/format is exact.
 */
public final class UInt128 implements Comparable<UInt128> {

  public static final UInt128 ZERO = new UInt128(0, 0);
  public static final UInt128 ONE = new UInt128(1, 0);
  /** 2^128 - 1: "int max" for ids, and "the full pending amount" when posting. */
  public static final UInt128 MAX = new UInt128(-1L, -1L);

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
  private static final BigInteger MAX_BIG = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

  private final long lo;
  private final long hi;

  private UInt128(long lo, long hi) {
    this.lo = lo;
    this.hi = hi;
  }

  public static UInt128 of(long lo, long hi) {
    if (hi == 0 && lo == 0) return ZERO;
    return new UInt128(lo, hi);
  }

  /** The value of an unsigned 64-bit long. */
  public static UInt128 of(long unsignedLo) {
    return of(unsignedLo, 0);
  }

  public long lo() {
    return lo;
  }

  public long hi() {
    return hi;
  }

  public boolean isZero() {
    return lo == 0 && hi == 0;
  }

  public boolean isMax() {
    return lo == -1L && hi == -1L;
  }

  /** Parses a non-negative decimal string below 2^128; anything else is an {@link IllegalArgumentException}. */
  public static UInt128 parse(String decimal) {
    if (decimal == null || decimal.isEmpty() || decimal.length() > 39) {
      throw new IllegalArgumentException("not an unsigned 128-bit decimal: " + decimal);
    }
    for (int i = 0; i < decimal.length(); i++) {
      char c = decimal.charAt(i);
      if (c < '0' || c > '9') throw new IllegalArgumentException("not an unsigned 128-bit decimal: " + decimal);
    }
    if (decimal.length() <= 19) return of(Long.parseUnsignedLong(decimal), 0);
    // value = value * 10^k + next k digits, in chunks of up to 9 digits on four 32-bit limbs (a most significant):
    // every id and amount of the API passes here, and BigInteger would allocate several objects per value.
    long a = 0;
    long b = 0;
    long c = 0;
    long d = 0;
    int len = decimal.length();
    int i = 0;
    int end = len % CHUNK_DIGITS == 0 ? CHUNK_DIGITS : len % CHUNK_DIGITS;
    while (i < len) {
      long chunk = 0;
      long mul = 1;
      for (; i < end; i++) {
        chunk = chunk * 10 + (decimal.charAt(i) - '0');
        mul *= 10;
      }
      long t = d * mul + chunk;
      d = t & LIMB;
      t = c * mul + (t >>> 32);
      c = t & LIMB;
      t = b * mul + (t >>> 32);
      b = t & LIMB;
      t = a * mul + (t >>> 32);
      a = t & LIMB;
      if ((t >>> 32) != 0) {
        throw new IllegalArgumentException("out of range for u128: " + decimal);
      }
      end += CHUNK_DIGITS;
    }
    return of((c << 32) | d, (a << 32) | b);
  }

  private static final int CHUNK_DIGITS = 9;
  private static final long CHUNK = 1_000_000_000L;
  private static final long LIMB = 0xFFFF_FFFFL;

  public static UInt128 of(BigInteger value) {
    if (value.signum() < 0 || value.compareTo(MAX_BIG) > 0) {
      throw new IllegalArgumentException("out of range for u128: " + value);
    }
    return of(value.longValue(), value.shiftRight(64).longValue());
  }

  public BigInteger toBigInteger() {
    BigInteger h = new BigInteger(Long.toUnsignedString(hi));
    return h.multiply(TWO_64).add(new BigInteger(Long.toUnsignedString(lo)));
  }

  /** Checked unsigned addition. */
  public UInt128 add(UInt128 other) {
    long l = lo + other.lo;
    long carry = Long.compareUnsigned(l, lo) < 0 ? 1 : 0;
    long h1 = hi + other.hi;
    boolean o1 = Long.compareUnsigned(h1, hi) < 0;
    long h = h1 + carry;
    if (o1 || (carry == 1 && h == 0)) throw new ArithmeticException("u128 overflow");
    return of(l, h);
  }

  /** Checked unsigned subtraction. */
  public UInt128 subtract(UInt128 other) {
    if (compareTo(other) < 0) throw new ArithmeticException("u128 underflow");
    long l = lo - other.lo;
    long borrow = Long.compareUnsigned(lo, other.lo) < 0 ? 1 : 0;
    return of(l, hi - other.hi - borrow);
  }

  @Override
  public int compareTo(UInt128 o) {
    int c = Long.compareUnsigned(hi, o.hi);
    return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UInt128 u && u.lo == lo && u.hi == hi;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(lo * 31 + hi);
  }

  /** Exact decimal representation. */
  @Override
  public String toString() {
    if (hi == 0) return Long.toUnsignedString(lo);
    // Repeated division by 10^9 on four 32-bit limbs (see parse): each step yields the next nine digits.
    long a = hi >>> 32;
    long b = hi & LIMB;
    long c = lo >>> 32;
    long d = lo & LIMB;
    char[] out = new char[39];
    int pos = out.length;
    while (true) {
      long t = a;
      a = t / CHUNK;
      t = ((t % CHUNK) << 32) | b;
      b = t / CHUNK;
      t = ((t % CHUNK) << 32) | c;
      c = t / CHUNK;
      t = ((t % CHUNK) << 32) | d;
      d = t / CHUNK;
      long digits = t % CHUNK;
      boolean last = (a | b | c | d) == 0;
      for (int k = 0; k < CHUNK_DIGITS && (!last || digits != 0); k++) {
        out[--pos] = (char) ('0' + digits % 10);
        digits /= 10;
      }
      if (last) {
        return new String(out, pos, out.length - pos);
      }
    }
  }
}
