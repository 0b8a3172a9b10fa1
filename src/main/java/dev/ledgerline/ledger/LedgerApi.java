package dev.ledgerline.ledger;

import dev.ledgerline.infra.BusCodec;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.CreateAccountsResult;
import dev.ledgerline.ledger.model.CreateTransfersResult;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import dev.ledgerline.ledger.model.Wire;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The ledger's event-bus contract: addresses, request/reply records and their binary codecs. Other verticles use
 * {@link LedgerClient}, never the addresses directly.
 *
 * <p>Create replies carry only the failed events, with indexes relative to the request's own events (TigerBeetle's
 * shape; {@link dev.ledgerline.ledger.model.Results} expands them). Failures are {@code ReplyException}s with one of
 * the {@code FAILURE_*} codes, which {@link LedgerClient} turns into typed {@link LedgerException}s.
 */
public final class LedgerApi {
  public static final String CREATE_ACCOUNTS = "ledger.accounts.create";
  public static final String CREATE_TRANSFERS = "ledger.transfers.create";
  public static final String LOOKUP_ACCOUNTS = "ledger.accounts.lookup";
  public static final String LOOKUP_TRANSFERS = "ledger.transfers.lookup";
  public static final String ACCOUNT_TRANSFERS = "ledger.accounts.transfers";
  public static final String ACCOUNT_BALANCES = "ledger.accounts.balances";
  public static final String QUERY_ACCOUNTS = "ledger.accounts.query";
  public static final String QUERY_TRANSFERS = "ledger.transfers.query";
  /**
   * Several create requests in one message ({@link CreateRequests}), answered with one {@link CreateAnswers}: how
   * {@link LedgerClient} sends the requests one event loop makes within one tick.
   */
  public static final String CREATE_MANY = "ledger.create-many";
  /** Every ledger node answers with its {@link OwnerInfo}: how a second embedded ledger learns it is not alone. */
  public static final String OWNER = "ledger.owner";
  /**
   * Published (not sent) after every durable batch of transfers with its {@link TransfersCommitted}: the transfers
   * whose result was ok, as stored, and the accounts they touched as they were after the batch. Gateways on any node
   * serve their live streams from it.
   */
  public static final String TRANSFERS_COMMITTED = "events.ledger.transfers";

  /** The queue is full; nothing was executed; retry later. */
  public static final int FAILURE_OVERLOADED = 1;
  /** The deadline passed; for creates the outcome is unknown. */
  public static final int FAILURE_TIMEOUT = 2;
  /** One request holds more events than a batch may. */
  public static final int FAILURE_BATCH_TOO_LARGE = 3;
  /** The backend is closed or stopped; nothing in the request was acknowledged. */
  public static final int FAILURE_UNAVAILABLE = 4;
  /** Anything else the backend reported. */
  public static final int FAILURE_INTERNAL = 5;
  /** The ledger halted while making a write durable; the write may have been applied; look the ids up. */
  public static final int FAILURE_OUTCOME_UNKNOWN = 6;
  /** This node does not hold the ledger's write lease; nothing was executed, another node may hold it. */
  public static final int FAILURE_NOT_LEADER = 7;

  private LedgerApi() {}

  public static boolean isWrite(String address) {
    return CREATE_ACCOUNTS.equals(address) || CREATE_TRANSFERS.equals(address);
  }

  // ---- requests and replies (immutable: local delivery shares them) ----

  public record CreateAccounts(List<Account> accounts) {
    public CreateAccounts {
      accounts = List.copyOf(accounts);
    }
  }

  public record CreateTransfers(List<Transfer> transfers) {
    public CreateTransfers {
      transfers = List.copyOf(transfers);
    }
  }

  /** Failed events only, ascending index relative to the request. */
  public record CreateAccountsReply(List<CreateAccountsResult> results) {
    public CreateAccountsReply {
      results = List.copyOf(results);
    }
  }

  /** Failed events only, ascending index relative to the request. */
  public record CreateTransfersReply(List<CreateTransfersResult> results) {
    public CreateTransfersReply {
      results = List.copyOf(results);
    }
  }

  /** Ids to look up (accounts or transfers, by address). */
  public record Lookup(List<UInt128> ids) {
    public Lookup {
      ids = List.copyOf(ids);
    }
  }

  public record AccountQuery(AccountFilter filter) {
    public AccountQuery {
      Objects.requireNonNull(filter, "filter");
    }
  }

  public record Query(QueryFilter filter) {
    public Query {
      Objects.requireNonNull(filter, "filter");
    }
  }

  public record Accounts(List<Account> accounts) {
    public Accounts {
      accounts = List.copyOf(accounts);
    }
  }

  public record Transfers(List<Transfer> transfers) {
    public Transfers {
      transfers = List.copyOf(transfers);
    }
  }

  public record Balances(List<AccountBalance> balances) {
    public Balances {
      balances = List.copyOf(balances);
    }
  }

  /**
   * Committed transfers of one batch in commit order, with the balances of every account they touched after the
   * batch (one lookup per batch, not per transfer).
   */
  public record TransfersCommitted(List<Transfer> transfers, List<Account> accounts) {
    public TransfersCommitted {
      transfers = List.copyOf(transfers);
      accounts = List.copyOf(accounts);
    }
  }

  /**
   * Create requests of one operation travelling as one message; the ledger queues each as if it had come alone, so
   * each keeps its own batching rules (a linked chain is never split), deadline and answer.
   */
  public record CreateRequests<E extends Event>(Operation<E, ?> operation, List<List<E>> requests) {
    public CreateRequests {
      Objects.requireNonNull(operation, "operation");
      requests = List.copyOf(requests);
    }
  }

  /** One answer per request of a {@link CreateRequests}, in its order. */
  public record CreateAnswers<R extends EventResult>(Operation<?, R> operation, List<CreateAnswer<R>> answers) {
    public CreateAnswers {
      Objects.requireNonNull(operation, "operation");
      answers = List.copyOf(answers);
    }
  }

  /**
   * A request's answer: its failed events ({@code failure == 0}), or the {@code FAILURE_*} code and message it would
   * have got as a reply failure of its own.
   */
  public record CreateAnswer<R extends EventResult>(List<R> results, int failure, String message) {
    public CreateAnswer {
      results = List.copyOf(results);
      Objects.requireNonNull(message, "message");
    }

    public static <R extends EventResult> CreateAnswer<R> ok(List<R> results) {
      return new CreateAnswer<>(results, 0, "");
    }

    public static <R extends EventResult> CreateAnswer<R> failed(int failure, String message) {
      if (failure == 0) throw new IllegalArgumentException("a failure code is never 0");
      return new CreateAnswer<>(List.of(), failure, message == null ? "" : message);
    }
  }

  /** Who runs a ledger: its node and backend ({@code embedded} or {@code tigerbeetle}). */
  public record OwnerInfo(String nodeId, String backend) {
    public OwnerInfo {
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(backend, "backend");
    }
  }

  // ---- codecs ----

  /** Transfers, then accounts, each as a count and records. */
  static final BusCodec<TransfersCommitted> TRANSFERS_COMMITTED_CODEC = new BusCodec<>(
      "ledger.transfers-committed",
      (b, r) -> {
        putRecords(b, r.transfers(), Wire.TRANSFER);
        putRecords(b, r.accounts(), Wire.ACCOUNT);
      },
      (p, b) -> {
        List<Transfer> transfers = getRecords(b, p, Wire.TRANSFER);
        return new TransfersCommitted(transfers,
            getRecords(b, p + 4 + transfers.size() * Wire.TRANSFER_SIZE, Wire.ACCOUNT));
      });

  @SuppressWarnings("rawtypes")
  static final BusCodec<CreateRequests> CREATE_REQUESTS_CODEC = new BusCodec<>("ledger.create-requests",
      LedgerApi::putRequests, LedgerApi::getRequests);
  @SuppressWarnings("rawtypes")
  static final BusCodec<CreateAnswers> CREATE_ANSWERS_CODEC = new BusCodec<>("ledger.create-answers",
      LedgerApi::putAnswers, LedgerApi::getAnswers);

  /** Registers the ledger's codecs; {@link dev.ledgerline.node.Codecs#registerAll} calls it on every node. */
  public static void registerCodecs(EventBus bus) {
    bus.registerDefaultCodec(CreateAccounts.class, records("ledger.create-accounts",
        Operation.CREATE_ACCOUNTS.layout(), CreateAccounts::accounts, CreateAccounts::new));
    bus.registerDefaultCodec(CreateTransfers.class, records("ledger.create-transfers",
        Operation.CREATE_TRANSFERS.layout(), CreateTransfers::transfers, CreateTransfers::new));
    bus.registerDefaultCodec(CreateAccountsReply.class, results("ledger.create-accounts-reply",
        Operation.CREATE_ACCOUNTS, CreateAccountsReply::results, CreateAccountsReply::new));
    bus.registerDefaultCodec(CreateTransfersReply.class, results("ledger.create-transfers-reply",
        Operation.CREATE_TRANSFERS, CreateTransfersReply::results, CreateTransfersReply::new));
    bus.registerDefaultCodec(Lookup.class, records("ledger.lookup", Wire.ID, Lookup::ids, Lookup::new));
    bus.registerDefaultCodec(AccountQuery.class, records("ledger.account-query", Wire.ACCOUNT_FILTER,
        q -> List.of(q.filter()), l -> new AccountQuery(l.get(0))));
    bus.registerDefaultCodec(Query.class, records("ledger.query", Wire.QUERY_FILTER, q -> List.of(q.filter()),
        l -> new Query(l.get(0))));
    bus.registerDefaultCodec(Accounts.class, records("ledger.accounts", Wire.ACCOUNT, Accounts::accounts,
        Accounts::new));
    bus.registerDefaultCodec(Transfers.class, records("ledger.transfers", Wire.TRANSFER, Transfers::transfers,
        Transfers::new));
    bus.registerDefaultCodec(Balances.class, records("ledger.balances", Wire.ACCOUNT_BALANCE, Balances::balances,
        Balances::new));
    bus.registerDefaultCodec(TransfersCommitted.class, TRANSFERS_COMMITTED_CODEC);
    bus.registerDefaultCodec(CreateRequests.class, CREATE_REQUESTS_CODEC);
    bus.registerDefaultCodec(CreateAnswers.class, CREATE_ANSWERS_CODEC);
    bus.registerDefaultCodec(OwnerInfo.class, new BusCodec<>("ledger.owner-info",
        (b, r) -> {
          putString(b, r.nodeId());
          putString(b, r.backend());
        },
        (p, b) -> {
          int len = b.getIntLE(p);
          String node = b.getString(p + 4, p + 4 + len, "UTF-8");
          int q = p + 4 + len;
          return new OwnerInfo(node, b.getString(q + 4, q + 4 + b.getIntLE(q), "UTF-8"));
        }));
  }

  static Operation<?, ?> operation(int code) {
    if (code == Operation.CREATE_TRANSFERS.code()) return Operation.CREATE_TRANSFERS;
    if (code == Operation.CREATE_ACCOUNTS.code()) return Operation.CREATE_ACCOUNTS;
    throw new IllegalArgumentException("unknown create operation " + code);
  }

  /** The operation's code, the number of requests, then each request as a count and records. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static void putRequests(Buffer b, CreateRequests m) {
    Operation op = m.operation();
    List<List<Event>> requests = m.requests();
    b.appendIntLE(op.code()).appendIntLE(requests.size());
    for (List<Event> events : requests) append(b, events.size(), op.encode(events));
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static CreateRequests getRequests(int pos, Buffer b) {
    Operation op = operation(b.getIntLE(pos));
    int n = b.getIntLE(pos + 4);
    if (n < 0 || n > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("bad request count " + n);
    List<List<Event>> requests = new java.util.ArrayList<>(n);
    int p = pos + 8;
    for (int i = 0; i < n; i++) {
      List<Event> events = getRecords(b, p, op.layout());
      requests.add(events);
      p += 4 + events.size() * op.eventSize();
    }
    return new CreateRequests(op, requests);
  }

  /** The operation's code, the number of answers, then each as a failure code and its results or message. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static void putAnswers(Buffer b, CreateAnswers m) {
    List<CreateAnswer> answers = m.answers();
    b.appendIntLE(m.operation().code()).appendIntLE(answers.size());
    for (CreateAnswer a : answers) {
      b.appendIntLE(a.failure());
      if (a.failure() == 0) {
        append(b, a.results().size(), Wire.encodeResults(a.results()));
      } else {
        putString(b, a.message());
      }
    }
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static CreateAnswers getAnswers(int pos, Buffer b) {
    Operation op = operation(b.getIntLE(pos));
    int n = b.getIntLE(pos + 4);
    if (n < 0 || n > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("bad answer count " + n);
    List<CreateAnswer> answers = new java.util.ArrayList<>(n);
    int p = pos + 8;
    for (int i = 0; i < n; i++) {
      int failure = b.getIntLE(p);
      int len = b.getIntLE(p + 4);
      if (failure == 0) {
        answers.add(CreateAnswer.ok(op.decodeResults(body(b, p + 4, Wire.RESULT_SIZE))));
        p += 8 + len * Wire.RESULT_SIZE;
      } else {
        answers.add(CreateAnswer.failed(failure, b.getString(p + 8, p + 8 + len, "UTF-8")));
        p += 8 + len;
      }
    }
    return new CreateAnswers(op, answers);
  }

  /**
   * A message that is one list of records of {@code layout}; on the wire a little-endian u32 count followed by the
   * records in TigerBeetle's layout ({@link Wire}).
   */
  private static <M, T> BusCodec<M> records(String name, Wire.Layout<T> layout, Function<M, List<T>> list,
      Function<List<T>, M> message) {
    return new BusCodec<>(name, (b, m) -> putRecords(b, list.apply(m), layout),
        (p, b) -> message.apply(getRecords(b, p, layout)));
  }

  /** A create reply: the failed events' results of {@code op}. */
  private static <M, R extends EventResult> BusCodec<M> results(String name, Operation<?, R> op,
      Function<M, List<R>> list, Function<List<R>, M> message) {
    return new BusCodec<>(name, (b, m) -> {
      List<R> results = list.apply(m);
      append(b, results.size(), Wire.encodeResults(results));
    }, (p, b) -> message.apply(op.decodeResults(body(b, p, Wire.RESULT_SIZE))));
  }

  private static void putString(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendIntLE(bytes.length).appendBytes(bytes);
  }

  /** The records after the count, as a little-endian buffer of {@code n * size} bytes. */
  private static ByteBuffer body(Buffer b, int pos, int size) {
    int n = b.getIntLE(pos);
    if (n < 0 || n > LedgerBackend.BATCH_MAX) throw new IllegalArgumentException("bad record count " + n);
    return ByteBuffer.wrap(b.getBytes(pos + 4, pos + 4 + n * size)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void append(Buffer b, int count, ByteBuffer records) {
    b.appendIntLE(count).appendBytes(records.array(), 0, records.capacity());
  }

  private static <T> void putRecords(Buffer b, List<? extends T> values, Wire.Layout<T> layout) {
    append(b, values.size(), Wire.encode(values, layout));
  }

  private static <T> List<T> getRecords(Buffer b, int pos, Wire.Layout<T> layout) {
    return Wire.decode(body(b, pos, layout.size()), layout);
  }
}
