package dev.ledgerline.ledger.engine;

import java.util.Arrays;

/**
 * Per-account lists of transfer indexes, appended in timestamp order. Entries live in fixed 256-entry blocks taken
 * from a shared pool, so appending never copies an account's list (a growing array would copy it again and again);
 * each account keeps only the small array of its block numbers.
 */
final class AccountLists {
  private static final int BLOCK_SHIFT = 8;
  private static final int BLOCK = 1 << BLOCK_SHIFT;
  private static final int CHUNK_BLOCKS_SHIFT = 12; // 4096 blocks (1 Mi entries) per pool chunk
  private static final int CHUNK_BLOCKS_MASK = (1 << CHUNK_BLOCKS_SHIFT) - 1;

  private int[][] pool = new int[16][];
  private int blocksUsed;
  private int[][] blocks;
  private int[] len;

  AccountLists(int accounts) {
    blocks = new int[Math.max(16, accounts)][];
    len = new int[Math.max(16, accounts)];
  }

  void ensureAccounts(int n) {
    if (n > len.length) {
      int cap = Math.max(n, len.length * 2);
      blocks = Arrays.copyOf(blocks, cap);
      len = Arrays.copyOf(len, cap);
    }
  }

  int length(int a) {
    return len[a];
  }

  int get(int a, int p) {
    int block = blocks[a][p >>> BLOCK_SHIFT];
    return pool[block >>> CHUNK_BLOCKS_SHIFT][((block & CHUNK_BLOCKS_MASK) << BLOCK_SHIFT) | (p & (BLOCK - 1))];
  }

  void append(int a, int value) {
    int p = len[a];
    int[] bl = blocks[a];
    int bi = p >>> BLOCK_SHIFT;
    if (bl == null || bi >= bl.length || (p & (BLOCK - 1)) == 0 && bl[bi] < 0) {
      if (bl == null) {
        bl = blocks[a] = new int[4];
        Arrays.fill(bl, -1);
      } else if (bi >= bl.length) {
        int old = bl.length;
        bl = blocks[a] = Arrays.copyOf(bl, old * 2);
        Arrays.fill(bl, old, bl.length, -1);
      }
      if (bl[bi] < 0) bl[bi] = newBlock();
    }
    int block = bl[bi];
    pool[block >>> CHUNK_BLOCKS_SHIFT][((block & CHUNK_BLOCKS_MASK) << BLOCK_SHIFT) | (p & (BLOCK - 1))] = value;
    len[a] = p + 1;
  }

  /** Removes the last entry (rollback); its block stays with the account for the next append. */
  void pop(int a) {
    len[a]--;
  }

  /** Forgets an account entirely (rollback of its creation); its blocks are simply not reused. */
  void reset(int a) {
    len[a] = 0;
    blocks[a] = null;
  }

  private int newBlock() {
    int b = blocksUsed++;
    int c = b >>> CHUNK_BLOCKS_SHIFT;
    if (c >= pool.length) pool = Arrays.copyOf(pool, pool.length * 2);
    if (pool[c] == null) pool[c] = new int[1 << (CHUNK_BLOCKS_SHIFT + BLOCK_SHIFT)];
    return b;
  }

  long memoryBytes(int accounts) {
    long bytes = (long) len.length * 4;
    for (int[] c : pool) if (c != null) bytes += (long) c.length * 4;
    for (int a = 0; a < accounts; a++) if (blocks[a] != null) bytes += (long) blocks[a].length * 4;
    return bytes;
  }
}
