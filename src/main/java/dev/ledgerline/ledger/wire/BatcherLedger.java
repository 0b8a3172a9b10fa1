package dev.ledgerline.ledger.wire;

import dev.ledgerline.ledger.LedgerApi;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerBatcher;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs wire requests through the same {@link LedgerBatcher} as the event bus: creates share its batches (and so the
 * engine's log), reads go to the backend under the batcher's deadline. Bodies are already TigerBeetle's layouts.
 */
public final class BatcherLedger implements WireProtocol.Ledger {
  private static final Logger LOG = LoggerFactory.getLogger(BatcherLedger.class);

  private final LedgerBatcher batcher;
  private final LedgerBackend backend;

  public BatcherLedger(LedgerBatcher batcher, LedgerBackend backend) {
    this.batcher = batcher;
    this.backend = backend;
  }

  @Override
  public void execute(int operation, byte[] body, Consumer<byte[]> done, Runnable notExecuted) {
    ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
    switch (operation) {
      case WireOperations.CREATE_ACCOUNTS -> batcher.createAccounts(Wire.decodeAccounts(b),
          createReply(Wire::encodeAccountResults, done, notExecuted));
      case WireOperations.CREATE_TRANSFERS -> batcher.createTransfers(Wire.decodeTransfers(b),
          createReply(Wire::encodeTransferResults, done, notExecuted));
      case WireOperations.LOOKUP_ACCOUNTS -> {
        List<UInt128> ids = Wire.decodeIds(b);
        batcher.read(LedgerApi.LOOKUP_ACCOUNTS, ids, () -> backend.lookupAccounts(ids),
            reply(Wire::encodeAccounts, done, notExecuted));
      }
      case WireOperations.LOOKUP_TRANSFERS -> {
        List<UInt128> ids = Wire.decodeIds(b);
        batcher.read(LedgerApi.LOOKUP_TRANSFERS, ids, () -> backend.lookupTransfers(ids),
            reply(Wire::encodeTransfers, done, notExecuted));
      }
      case WireOperations.GET_ACCOUNT_TRANSFERS -> {
        AccountFilter f = Wire.getAccountFilter(b, 0);
        batcher.read(LedgerApi.ACCOUNT_TRANSFERS, List.of(f.accountId()), () -> backend.getAccountTransfers(f),
            reply(Wire::encodeTransfers, done, notExecuted));
      }
      case WireOperations.GET_ACCOUNT_BALANCES -> {
        AccountFilter f = Wire.getAccountFilter(b, 0);
        batcher.read(LedgerApi.ACCOUNT_BALANCES, List.of(f.accountId()), () -> backend.getAccountBalances(f),
            reply(list -> Wire.encode(list, Wire.ACCOUNT_BALANCE), done, notExecuted));
      }
      case WireOperations.QUERY_ACCOUNTS -> {
        QueryFilter f = Wire.getQueryFilter(b, 0);
        batcher.read(LedgerApi.QUERY_ACCOUNTS, List.of(), () -> backend.queryAccounts(f),
            reply(Wire::encodeAccounts, done, notExecuted));
      }
      case WireOperations.QUERY_TRANSFERS -> {
        QueryFilter f = Wire.getQueryFilter(b, 0);
        batcher.read(LedgerApi.QUERY_TRANSFERS, List.of(), () -> backend.queryTransfers(f),
            reply(Wire::encodeTransfers, done, notExecuted));
      }
      default -> throw new IllegalArgumentException("operation " + operation + " is not served");
    }
  }

  /**
   * A create waits out a batch in flight whatever its deadline, so that it runs once and its client hears its own
   * results ({@code ok}, not {@code exists} from a second run). Timed out while still queued, it never reached the
   * backend; only a backend failure of unknown outcome lets a retry run it again, and finds its events created.
   */
  private static <T> LedgerBatcher.Reply<T> createReply(Function<T, ByteBuffer> encode, Consumer<byte[]> done,
      Runnable notExecuted) {
    return LedgerBatcher.Reply.untilAnswered(reply(encode, done, notExecuted));
  }

  /**
   * A failure has no reply in TigerBeetle's protocol: the client retries until it gets one. Overloaded, stopping,
   * not-the-writer or a read past its deadline: the retry runs it again.
   */
  private static <T> LedgerBatcher.Reply<T> reply(Function<T, ByteBuffer> encode, Consumer<byte[]> done,
      Runnable notExecuted) {
    return new LedgerBatcher.Reply<>() {
      @Override
      public void succeed(T value) {
        done.accept(encode.apply(value).array());
      }

      @Override
      public void fail(int code, String message) {
        LOG.debug("wire request not answered (code {}), the client retries: {}", code, message);
        notExecuted.run();
      }
    };
  }
}
