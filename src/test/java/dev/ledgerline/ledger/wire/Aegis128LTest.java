package dev.ledgerline.ledger.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** TigerBeetle 0.16.30's {@code checksum test vectors} and {@code checksum stability} tests (src/vsr/checksum.zig). */
class Aegis128LTest {

  private static String hex(Aegis128L.Tag t) {
    byte[] b = new byte[16];
    t.put(b, 0);
    return HexFormat.of().formatHex(b);
  }

  @Test
  void testVectors() {
    assertThat(hex(Aegis128L.checksum(new byte[0]))).isEqualTo("83cc600dc4e3e7e62d4055826174f149");
    assertThat(hex(Aegis128L.checksum(new byte[16]))).isEqualTo("f72ad48dd05dd1656133101cd4be3a26");
    // checksum.zig's comptime constant for the empty body, as a u128.
    Aegis128L.Tag empty = Aegis128L.checksum(new byte[0]);
    assertThat(empty.hi()).isEqualTo(0x49F174618255402DL);
    assertThat(empty.lo()).isEqualTo(0xE6E7E3C40D60CC83L);
  }

  /** Zig's {@code std.rand.Xoshiro256} (xoshiro256++), seeded through SplitMix64. */
  private static final class Xoshiro256 {
    private final long[] s = new long[4];

    Xoshiro256(long seed) {
      long x = seed;
      for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15L;
        long z = x;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        s[i] = z ^ (z >>> 31);
      }
    }

    long next() {
      long r = Long.rotateLeft(s[0] + s[3], 23) + s[0];
      long t = s[1] << 17;
      s[2] ^= s[0];
      s[3] ^= s[1];
      s[1] ^= s[2];
      s[0] ^= s[3];
      s[2] ^= t;
      s[3] = Long.rotateLeft(s[3], 45);
      return r;
    }

    /** Whole 8-byte words little-endian, then one more word for the tail (its unused bytes are dropped). */
    void fill(byte[] buf, int len) {
      int aligned = len - (len & 7);
      int i = 0;
      for (; i < aligned; i += 8) {
        long n = next();
        for (int j = 0; j < 8; j++) buf[i + j] = (byte) (n >>> (8 * j));
      }
      if (i != len) {
        long n = next();
        for (; i < len; i++) {
          buf[i] = (byte) n;
          n >>>= 8;
        }
      }
    }
  }

  @Test
  void stabilityHashOver896Cases() {
    byte[] cases = new byte[896 * 16];
    int c = 0;
    byte[] buf = new byte[1024];
    for (int len = 0; len < 128; len++) {
      Aegis128L.checksum(new byte[len]).put(cases, 16 * c++);
    }
    for (int bit = 0; bit < 64 * 8; bit++) {
      byte[] m = new byte[64];
      m[bit / 8] = (byte) (1 << (bit % 8));
      Aegis128L.checksum(m).put(cases, 16 * c++);
    }
    Xoshiro256 prng = new Xoshiro256(92);
    for (int sub = 0; sub < 256; sub++) {
      prng.fill(buf, sub + 13);
      Aegis128L.checksum(buf, 0, sub + 13).put(cases, 16 * c++);
    }
    assertThat(c).isEqualTo(896);
    Set<String> distinct = new HashSet<>();
    for (int i = 0; i < 896; i++) distinct.add(HexFormat.of().formatHex(cases, 16 * i, 16 * i + 16));
    assertThat(distinct).hasSize(896);
    Aegis128L.Tag hash = Aegis128L.checksum(cases);
    assertThat(hash.hi()).isEqualTo(0x82dcaacf4875b279L);
    assertThat(hash.lo()).isEqualTo(0x446825b6830d1263L);
  }
}
