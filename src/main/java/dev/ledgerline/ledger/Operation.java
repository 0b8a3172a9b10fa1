package dev.ledgerline.ledger;

import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.ResultCode;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.Wire;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;

/**
 * A create operation, as TigerBeetle's {@code Event(op)} and {@code Result(op)} describe one: its event record, its
 * result type and code table, and the backend call that executes a batch of it. Batching, codecs, metrics and the
 * engine's log are written once over an {@code Operation} instead of once for accounts and once for transfers.
 *
 * @param <E> the event ({@link Account}, {@link Transfer})
 * @param <R> a failed event's result ({@link CreateAccountsResult}, {@link CreateTransfersResult})
 * @param code TigerBeetle's operation number, which the engine's log also records
 * @param tbName TigerBeetle's name, e.g. {@code create_transfers} (the metrics' {@code operation} tag)
 * @param address the event-bus address of this operation, which also prefixes its error messages
 * @param importedFlag the event flag that marks an imported event
 * @param linkedFlag the event flag that links an event to the next
 * @param layout an event's layout on the wire and in the log
 * @param resultCodes every result code in precedence order, {@code ok} first; a code's {@link ResultCode#ordinal}
 *     indexes it
 * @param result builds a failed event's result from its index and wire code
 * @param create the backend call that executes a batch
 */
public record Operation<E extends Event, R extends EventResult>(int code, String tbName, String address,
    int importedFlag, int linkedFlag, Wire.Layout<E> layout, List<ResultCode> resultCodes, Wire.ResultOf<R> result,
    BiFunction<LedgerBackend, List<E>, CompletionStage<List<R>>> create) {
  // The two create operations TigerBeetle has; code elsewhere compares operations by identity with these.
  public static final Operation<Account, CreateAccountsResult> CREATE_ACCOUNTS = new Operation<>(129,
      "create_accounts", LedgerApi.CREATE_ACCOUNTS, AccountFlags.IMPORTED, AccountFlags.LINKED, Wire.ACCOUNT,
      List.of(CreateAccountResult.values()),
      (index, code) -> new CreateAccountsResult(index, CreateAccountResult.fromCode(code)),
      LedgerBackend::createAccounts);

  public static final Operation<Transfer, CreateTransfersResult> CREATE_TRANSFERS = new Operation<>(130,
      "create_transfers", LedgerApi.CREATE_TRANSFERS, TransferFlags.IMPORTED, TransferFlags.LINKED, Wire.TRANSFER,
      List.of(CreateTransferResult.values()),
      (index, code) -> new CreateTransfersResult(index, CreateTransferResult.fromCode(code)),
      LedgerBackend::createTransfers);

  public Operation {
    resultCodes = List.copyOf(resultCodes);
  }

  /** Bytes per event on the wire and in the log. */
  public int eventSize() {
    return layout.size();
  }

  /** TigerBeetle decides {@code imported} for a whole batch by its first event. */
  public boolean imported(List<? extends E> events) {
    return !events.isEmpty() && (events.get(0).flags() & importedFlag) != 0;
  }

  /** Whether the last event is {@code linked}: the batch ends with an open chain. */
  public boolean endsOpenChain(List<? extends E> events) {
    return !events.isEmpty() && (events.get(events.size() - 1).flags() & linkedFlag) != 0;
  }

  /** The result of the event at {@code index} with wire code {@code code}. */
  public R result(int index, int code) {
    return result.of(index, code);
  }

  /** {@code r} re-indexed for events that start {@code offset} events into the batch. */
  public R rebase(R r, int offset) {
    return result.of(r.index() - offset, r.result().code());
  }

  public ByteBuffer encode(List<? extends E> events) {
    return Wire.encode(events, layout);
  }

  public List<R> decodeResults(ByteBuffer results) {
    return Wire.decodeResults(results, result);
  }

  /** Executes {@code events} as one batch on {@code backend}. */
  public CompletionStage<List<R>> create(LedgerBackend backend, List<E> events) {
    return create.apply(backend, events);
  }

  @Override
  public String toString() {
    return tbName;
  }
}
