package dev.ledgerline.ledger.wire;

/**
 * TigerBeetle's checksum: the 128-bit AEGIS-128L tag with a zero key and zero nonce, the data as associated data and
 * an empty message, finalized with {@code (ad_len_bits, 0)} (Zig 0.13's {@code Aegis128LMac_128}, which TigerBeetle
 * 0.16.30 uses). Newer AEGIS MAC drafts finalize differently; only this construction matches TigerBeetle.
 *
 * <p>The JDK exposes no single AES round, so the round is computed here with the usual four T-tables (built from
 * the S-box at class load). Each 16-byte block is four little-endian column words. Not constant-time, which is fine
 * for a checksum with a public (zero) key.
 */
public final class Aegis128L {
  /** The tag as two little-endian longs: {@code lo} is bytes 0..7, {@code hi} bytes 8..15. */
  public record Tag(long lo, long hi) {
    public void put(byte[] out, int off) {
      putLong(out, off, lo);
      putLong(out, off + 8, hi);
    }
  }

  private static final java.lang.invoke.VarHandle INT_LE = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
      int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
  private static final int[] T0 = new int[256];
  private static final int[] T1 = new int[256];
  private static final int[] T2 = new int[256];
  private static final int[] T3 = new int[256];
  /** AEGIS constants C0 (Fibonacci bytes mod 256) and C1, as column words. */
  private static final int[] C0 = words(new int[] {0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d, 0x15, 0x22,
      0x37, 0x59, 0x90, 0xe9, 0x79, 0x62});
  private static final int[] C1 = words(new int[] {0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1, 0x20, 0x11,
      0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd});
  /** The state after initialization with the zero key and nonce: every checksum starts from a copy. */
  private static final int[] SEED;

  static {
    int[] sbox = sbox();
    for (int x = 0; x < 256; x++) {
      int s = sbox[x];
      int s2 = xtime(s);
      int s3 = s2 ^ s;
      // MixColumns of the column (s, 0, 0, 0): rows 2s, s, s, 3s; the other tables are its rotations.
      int t = s2 | (s << 8) | (s << 16) | (s3 << 24);
      T0[x] = t;
      T1[x] = Integer.rotateLeft(t, 8);
      T2[x] = Integer.rotateLeft(t, 16);
      T3[x] = Integer.rotateLeft(t, 24);
    }
    int[] st = new int[32];
    // key = nonce = 0: S0 = S4 = 0, S1 = S3 = C1, S2 = C0, S5 = S7 = C0, S6 = C1.
    System.arraycopy(C1, 0, st, 4, 4);
    System.arraycopy(C0, 0, st, 8, 4);
    System.arraycopy(C1, 0, st, 12, 4);
    System.arraycopy(C0, 0, st, 20, 4);
    System.arraycopy(C1, 0, st, 24, 4);
    System.arraycopy(C0, 0, st, 28, 4);
    int[] zero = new int[4];
    for (int i = 0; i < 10; i++) update(st, zero, 0, zero, 0);
    SEED = st;
  }

  private Aegis128L() {}

  /** The checksum of {@code data[off, off + len)}. */
  public static Tag checksum(byte[] data, int off, int len) {
    int[] st = SEED.clone();
    int[] m = new int[8];
    int full = len & ~31;
    for (int p = off; p < off + full; p += 32) {
      for (int w = 0; w < 8; w++) m[w] = (int) INT_LE.get(data, p + 4 * w);
      update(st, m, 0, m, 4);
    }
    if (full < len) {
      byte[] pad = new byte[32];
      System.arraycopy(data, off + full, pad, 0, len - full);
      for (int w = 0; w < 8; w++) m[w] = getInt(pad, 4 * w);
      update(st, m, 0, m, 4);
    }
    long adBits = (long) len * 8;
    int[] t = {(int) adBits ^ st[8], (int) (adBits >>> 32) ^ st[9], st[10], st[11]};
    for (int i = 0; i < 7; i++) update(st, t, 0, t, 0);
    int[] tag = new int[4];
    for (int b = 0; b < 7; b++) {
      for (int w = 0; w < 4; w++) tag[w] ^= st[4 * b + w];
    }
    return new Tag((tag[0] & 0xFFFFFFFFL) | ((long) tag[1] << 32), (tag[2] & 0xFFFFFFFFL) | ((long) tag[3] << 32));
  }

  public static Tag checksum(byte[] data) {
    return checksum(data, 0, data.length);
  }

  /** The AEGIS-128L state update with message blocks {@code m0} and {@code m1} (four words each). */
  private static void update(int[] s, int[] m0, int o0, int[] m1, int o1) {
    int w0 = s[28];
    int w1 = s[29];
    int w2 = s[30];
    int w3 = s[31];
    // From the last block down, so that each round still reads the old S(i-1); S7 was saved for S0's round.
    aesRound(s, 24, s[28], s[29], s[30], s[31], s, 28);
    aesRound(s, 20, s[24], s[25], s[26], s[27], s, 24);
    aesRound(s, 16, s[20], s[21], s[22], s[23], s, 20);
    aesRound(s, 12, s[16] ^ m1[o1], s[17] ^ m1[o1 + 1], s[18] ^ m1[o1 + 2], s[19] ^ m1[o1 + 3], s, 16);
    aesRound(s, 8, s[12], s[13], s[14], s[15], s, 12);
    aesRound(s, 4, s[8], s[9], s[10], s[11], s, 8);
    aesRound(s, 0, s[4], s[5], s[6], s[7], s, 4);
    int r0 = T0[w0 & 0xFF] ^ T1[(w1 >>> 8) & 0xFF] ^ T2[(w2 >>> 16) & 0xFF] ^ T3[w3 >>> 24];
    int r1 = T0[w1 & 0xFF] ^ T1[(w2 >>> 8) & 0xFF] ^ T2[(w3 >>> 16) & 0xFF] ^ T3[w0 >>> 24];
    int r2 = T0[w2 & 0xFF] ^ T1[(w3 >>> 8) & 0xFF] ^ T2[(w0 >>> 16) & 0xFF] ^ T3[w1 >>> 24];
    int r3 = T0[w3 & 0xFF] ^ T1[(w0 >>> 8) & 0xFF] ^ T2[(w1 >>> 16) & 0xFF] ^ T3[w2 >>> 24];
    s[0] = r0 ^ s[0] ^ m0[o0];
    s[1] = r1 ^ s[1] ^ m0[o0 + 1];
    s[2] = r2 ^ s[2] ^ m0[o0 + 2];
    s[3] = r3 ^ s[3] ^ m0[o0 + 3];
  }

  /** {@code dst[d..d+4) = MixColumns(ShiftRows(SubBytes(src[i..i+4)))) ^ (k0, k1, k2, k3)}. */
  private static void aesRound(int[] src, int i, int k0, int k1, int k2, int k3, int[] dst, int d) {
    int a0 = src[i];
    int a1 = src[i + 1];
    int a2 = src[i + 2];
    int a3 = src[i + 3];
    // ShiftRows: row r of output column j comes from input column (j + r) mod 4.
    int r0 = T0[a0 & 0xFF] ^ T1[(a1 >>> 8) & 0xFF] ^ T2[(a2 >>> 16) & 0xFF] ^ T3[a3 >>> 24];
    int r1 = T0[a1 & 0xFF] ^ T1[(a2 >>> 8) & 0xFF] ^ T2[(a3 >>> 16) & 0xFF] ^ T3[a0 >>> 24];
    int r2 = T0[a2 & 0xFF] ^ T1[(a3 >>> 8) & 0xFF] ^ T2[(a0 >>> 16) & 0xFF] ^ T3[a1 >>> 24];
    int r3 = T0[a3 & 0xFF] ^ T1[(a0 >>> 8) & 0xFF] ^ T2[(a1 >>> 16) & 0xFF] ^ T3[a2 >>> 24];
    dst[d] = r0 ^ k0;
    dst[d + 1] = r1 ^ k1;
    dst[d + 2] = r2 ^ k2;
    dst[d + 3] = r3 ^ k3;
  }

  private static int xtime(int b) {
    return ((b << 1) ^ ((b & 0x80) != 0 ? 0x1b : 0)) & 0xFF;
  }

  /** The AES S-box: the multiplicative inverse in GF(2^8), then the affine map. */
  private static int[] sbox() {
    int[] box = new int[256];
    int p = 1;
    int q = 1;
    do {
      p = p ^ xtime(p); // p *= 3
      q ^= q << 1; // q /= 3
      q ^= q << 2;
      q ^= q << 4;
      q &= 0xFF;
      if ((q & 0x80) != 0) q ^= 0x09;
      int x = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4);
      box[p] = (x ^ 0x63) & 0xFF;
    } while (p != 1);
    box[0] = 0x63;
    return box;
  }

  private static int rotl8(int x, int n) {
    return ((x << n) | (x >>> (8 - n))) & 0xFF;
  }

  private static int[] words(int[] bytes) {
    int[] w = new int[4];
    for (int i = 0; i < 16; i++) w[i / 4] |= bytes[i] << (8 * (i % 4));
    return w;
  }

  private static int getInt(byte[] b, int off) {
    return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
  }

  private static void putLong(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) b[off + i] = (byte) (v >>> (8 * i));
  }
}
