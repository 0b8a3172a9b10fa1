package dev.ledgerline.cache;

import dev.ledgerline.cache.MultiLayerCache.Entry;
import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.roles.NodeContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Redis;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * Transactions as their readers get them ({@code GET /v1/payments/{id}}, {@code GET /v1/transfers/{id}}): the entries
 * {@code transaction:<id>} on a {@link MultiLayerCache} (L2 key {@code ll:cache:transaction:<id>}), fresh for
 * {@code transactions.cache-ttl}.
 *
 * <p>A payment's entry is written by the {@code transaction.updated} handler from the payment's row (write-through,
 * every other node drops its L1 copy) and dropped by every other change of the row, right after it commits; a read
 * that misses loads the row. A ledger transfer never changes, so its entry is filled by reads only.
 *
 * <p>This class never checks who asks: each entry carries what decides it (the payment's owner, the transfer's
 * accounts), and the routes check it before anything of the entry is sent.
 */
public final class TransactionCache {
  public static final String NAME = "transaction";

  public enum Kind { PAYMENT, TRANSFER }

  /**
   * One transaction's answer and what decides who may read it.
   *
   * @param version grows with every change the transaction's own record counts (a payment's row version; a transfer's
   *     ledger timestamp)
   * @param owner the payment's owner; empty for a transfer, whose accounts' owners decide
   * @param accounts a transfer's debit and credit accounts (a payment's payer account)
   * @param body the answer's JSON
   * @param etag a strong validator: the version and a checksum of the body, because some changes of a payment's row
   *     (a cancel request, the provider's reference) keep its version
   */
  public record Cached(Kind kind, long version, String owner, List<String> accounts, Buffer body, String etag) {
    public static Cached of(Kind kind, long version, String owner, List<String> accounts, Buffer body) {
      CRC32C crc = new CRC32C();
      crc.update(body.getBytes());
      return new Cached(kind, version, owner == null ? "" : owner, List.copyOf(accounts), body,
          "\"" + Long.toUnsignedString(version) + "-" + Long.toHexString(crc.getValue()) + "\"");
    }
  }

  private final MultiLayerCache<Cached> cache;
  private final Duration commandTimeout;
  private final LongSupplier clock;
  private volatile boolean debugHeaders;

  public TransactionCache(Vertx vertx, Redis redis, LedgerlineConfig config, MeterRegistry registry,
      LongSupplier clock) {
    this.commandTimeout = config.redisSettings().commandTimeout();
    this.clock = clock;
    this.debugHeaders = config.cache().debugHeaders();
    this.cache = new MultiLayerCache<>(vertx, redis, NAME, CODEC, settings(config, commandTimeout), registry, clock);
  }

  /** The node's cache over its Redis (L1 only without one). */
  public static TransactionCache create(NodeContext node) {
    return new TransactionCache(node.vertx(), node.services().hasRedis() ? node.services().redis() : null,
        node.config(), node.registry(), System::currentTimeMillis);
  }

  private static MultiLayerCache.Settings settings(LedgerlineConfig c, Duration commandTimeout) {
    return new MultiLayerCache.Settings(c.cache().l1MaxEntries(), c.cache().l1Ttl(), c.transactions().cacheTtl(),
        commandTimeout);
  }

  /** Applies reloaded sizes and TTLs ({@code cache.l1-*}, {@code transactions.cache-ttl}). */
  public void update(LedgerlineConfig c) {
    cache.update(settings(c, commandTimeout));
    debugHeaders = c.cache().debugHeaders();
  }

  /** {@code cache.debug-headers}: whether answers say which layer served them. */
  public boolean debugHeaders() {
    return debugHeaders;
  }

  /** Now on this cache's clock (ms since the epoch), for an entry's age and freshness. */
  public long now() {
    return clock.getAsLong();
  }

  /**
   * The transaction's entry from L1, L2 or {@code loader} (null: no such transaction, not cached); {@code consistent}
   * asks the loader whatever the layers hold and stores its answer.
   */
  public Future<Entry<Cached>> get(String id, boolean consistent, Supplier<Future<Cached>> loader) {
    return consistent ? cache.reload(id, List.of(), loader) : cache.get(id, List.of(), loader);
  }

  /** This node's fresh L1 entry, or null; never asks Redis or the source. */
  public Entry<Cached> known(String id) {
    return cache.peek(id);
  }

  /** Writes the transaction's current answer through both layers; other nodes drop their L1 copy. */
  public Future<Void> set(String id, Cached value) {
    return cache.set(id, List.of(), value);
  }

  /** Drops the entry everywhere (every node's L1, L2); never fails. */
  public Future<Void> invalidate(String id) {
    return cache.invalidate(List.of(id));
  }

  public boolean degraded() {
    return cache.degraded();
  }

  public Future<Void> close() {
    return cache.close();
  }

  /** Kind, version, owner, accounts (each length-prefixed UTF-8), then the body as it is sent. */
  static final MultiLayerCache.Codec<Cached> CODEC = new MultiLayerCache.Codec<>() {
    @Override
    public byte[] encode(Cached c) {
      List<byte[]> texts = new ArrayList<>();
      texts.add(c.owner().getBytes(StandardCharsets.UTF_8));
      c.accounts().forEach(a -> texts.add(a.getBytes(StandardCharsets.UTF_8)));
      int size = 1 + 8 + 1 + c.body().length();
      for (byte[] t : texts) {
        size += 2 + t.length;
      }
      ByteBuffer b = ByteBuffer.allocate(size).put((byte) c.kind().ordinal()).putLong(c.version())
          .put((byte) c.accounts().size());
      for (byte[] t : texts) {
        b.putShort((short) t.length).put(t);
      }
      return b.put(c.body().getBytes()).array();
    }

    @Override
    public Cached decode(byte[] bytes) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      Kind kind = Kind.values()[b.get()];
      long version = b.getLong();
      int accounts = b.get();
      String owner = text(b);
      List<String> ids = new ArrayList<>(accounts);
      for (int i = 0; i < accounts; i++) {
        ids.add(text(b));
      }
      byte[] body = new byte[b.remaining()];
      b.get(body);
      return Cached.of(kind, version, owner, ids, Buffer.buffer(body));
    }

    private static String text(ByteBuffer b) {
      byte[] t = new byte[Short.toUnsignedInt(b.getShort())];
      b.get(t);
      return new String(t, StandardCharsets.UTF_8);
    }
  };
}
