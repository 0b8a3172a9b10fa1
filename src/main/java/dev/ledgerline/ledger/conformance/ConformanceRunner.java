package dev.ledgerline.ledger.conformance;

import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.LedgerTestHooks;
import dev.ledgerline.ledger.Operation;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountBalance;
import dev.ledgerline.ledger.model.AccountFilter;
import dev.ledgerline.ledger.model.AccountFilterFlags;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.QueryFilter;
import dev.ledgerline.ledger.model.QueryFilterFlags;
import dev.ledgerline.ledger.model.ResultCode;
import dev.ledgerline.ledger.model.Results;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;

/**
 * Runs conformance case files (format: the shared conformance README) against any {@link LedgerBackend}, one
 * fresh backend per case. Cases that need hooks ({@code clock}, {@code setup_balances}) are skipped on a backend
 * without {@link LedgerTestHooks}.
 */
public final class ConformanceRunner {

  /** Opens a fresh backend for one case; {@code dataDir} is an empty temporary directory. */
  @FunctionalInterface
  public interface BackendFactory {
    LedgerBackend open(Path dataDir) throws Exception;
  }

  public record Summary(int passed, int failed, int skipped) {
    public String line() {
      return passed + " passed, " + failed + " failed, " + skipped + " skipped";
    }
  }

  /** One case's outcome. */
  public record Outcome(String name, Status status, String detail) {
    public String line() {
      return switch (status) {
        case PASS -> "PASS " + name;
        case FAIL -> "FAIL " + name + ": " + detail;
        case SKIP -> "SKIP " + name + ": " + detail;
      };
    }
  }

  public enum Status { PASS, FAIL, SKIP }

  private static final class Mismatch extends Exception {
    Mismatch(String message) {
      super(message);
    }
  }

  private final BackendFactory factory;
  private final long timeoutSeconds;

  public ConformanceRunner(BackendFactory factory) {
    this(factory, 60);
  }

  public ConformanceRunner(BackendFactory factory, long timeoutSeconds) {
    this.factory = factory;
    this.timeoutSeconds = timeoutSeconds;
  }

  /** Runs every {@code *.json} in {@code dir} (sorted by name), printing one line per case and the summary. */
  public Summary runDirectory(Path dir, PrintStream out) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json"))
          .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }
    int passed = 0;
    int failed = 0;
    int skipped = 0;
    for (Path f : files) {
      Outcome o = runCase(f);
      out.println(o.line());
      switch (o.status()) {
        case PASS -> passed++;
        case FAIL -> failed++;
        case SKIP -> skipped++;
      }
    }
    Summary summary = new Summary(passed, failed, skipped);
    out.println(summary.line());
    return summary;
  }

  public Outcome runCase(Path file) {
    String name = file.getFileName().toString();
    JsonObject c;
    try {
      c = new JsonObject(Files.readString(file));
      name = c.getString("name", name);
    } catch (Exception e) {
      return new Outcome(name, Status.FAIL, "cannot parse case file: " + e.getMessage());
    }
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("ledgerline-conformance-");
      try (LedgerBackend backend = factory.open(tmp)) {
        Optional<LedgerTestHooks> hooks = backend.testHooks();
        JsonArray requires = c.getJsonArray("requires", new JsonArray());
        if (!requires.isEmpty() && hooks.isEmpty()) {
          return new Outcome(name, Status.SKIP, "requires " + String.join(", ", requires.stream()
              .map(Object::toString).toList()) + " (backend has no test hooks)");
        }
        JsonArray steps = c.getJsonArray("steps");
        for (int i = 0; i < steps.size(); i++) {
          JsonObject step = steps.getJsonObject(i);
          try {
            runStep(backend, hooks.orElse(null), step);
          } catch (Mismatch m) {
            return new Outcome(name, Status.FAIL, "step " + (i + 1) + " (" + step.getString("op") + "): "
                + m.getMessage());
          }
        }
      }
      return new Outcome(name, Status.PASS, null);
    } catch (Exception e) {
      return new Outcome(name, Status.FAIL, "error: " + e);
    } finally {
      if (tmp != null) deleteRecursively(tmp);
    }
  }

  private void runStep(LedgerBackend b, LedgerTestHooks hooks, JsonObject s) throws Exception {
    String op = s.getString("op");
    switch (op) {
      case "create_accounts" -> create(b, Operation.CREATE_ACCOUNTS, s, ConformanceRunner::account);
      case "create_transfers" -> create(b, Operation.CREATE_TRANSFERS, s, ConformanceRunner::transfer);
      case "lookup_accounts" -> {
        List<Account> got = await(b.lookupAccounts(ids(s.getJsonArray("ids"))));
        JsonArray want = s.getJsonArray("found");
        if (got.size() != want.size()) {
          throw new Mismatch("expected " + want.size() + " accounts, got " + got.size() + ": " + idsOf(got));
        }
        for (int i = 0; i < want.size(); i++) {
          JsonObject w = want.getJsonObject(i);
          Account a = got.get(i);
          check("account[" + i + "].id", w.getString("id"), a.id().toString());
          check("account " + a.id() + " debits_pending", w.getString("debits_pending"), a.debitsPending().toString());
          check("account " + a.id() + " debits_posted", w.getString("debits_posted"), a.debitsPosted().toString());
          check("account " + a.id() + " credits_pending", w.getString("credits_pending"),
              a.creditsPending().toString());
          check("account " + a.id() + " credits_posted", w.getString("credits_posted"), a.creditsPosted().toString());
          if (w.containsKey("closed")) {
            check("account " + a.id() + " closed", String.valueOf(w.getBoolean("closed")), String.valueOf(a.closed()));
          }
        }
      }
      case "lookup_transfers" -> {
        JsonArray expect = s.getJsonArray("expect");
        List<UInt128> ids = ids(s.getJsonArray("ids"));
        List<Transfer> got = await(b.lookupTransfers(ids));
        for (int i = 0; i < expect.size(); i++) {
          JsonObject w = expect.getJsonObject(i);
          UInt128 id = UInt128.parse(w.getString("id"));
          Transfer t = got.stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
          if (w.containsKey("exists")) {
            check("transfer " + id + " exists", String.valueOf(w.getBoolean("exists")), String.valueOf(t != null));
          }
          if (w.containsKey("amount")) {
            if (t == null) throw new Mismatch("transfer " + id + " not found (expected amount " + w.getString("amount") + ")");
            check("transfer " + id + " amount", w.getString("amount"), t.amount().toString());
          }
          if (w.containsKey("timestamp")) {
            if (t == null) throw new Mismatch("transfer " + id + " not found");
            check("transfer " + id + " timestamp", w.getString("timestamp"), Long.toUnsignedString(t.timestamp()));
          }
        }
      }
      case "setup_balances" -> await(hooks.setupBalances(UInt128.parse(s.getString("account_id")),
          UInt128.parse(s.getString("debits_pending")), UInt128.parse(s.getString("debits_posted")),
          UInt128.parse(s.getString("credits_pending")), UInt128.parse(s.getString("credits_posted"))));
      case "tick" -> await(hooks.tick(Long.parseUnsignedLong(s.getString("nanoseconds"))));
      case "get_account_transfers" -> {
        List<Transfer> got = await(b.getAccountTransfers(accountFilter(b, s.getJsonObject("filter"))));
        compareIds(s.getJsonArray("transfer_ids"), got.stream().map(t -> t.id().toString()).toList());
      }
      case "get_account_balances" -> {
        AccountFilter f = accountFilter(b, s.getJsonObject("filter"));
        List<AccountBalance> got = await(b.getAccountBalances(f));
        JsonArray want = s.getJsonArray("balances");
        if (got.size() != want.size()) throw new Mismatch("expected " + want.size() + " balances, got " + got.size());
        for (int i = 0; i < want.size(); i++) {
          JsonObject w = want.getJsonObject(i);
          AccountBalance g = got.get(i);
          long ts = transferTimestamp(b, w.getString("transfer_id"));
          check("balance[" + i + "] timestamp (transfer " + w.getString("transfer_id") + ")",
              Long.toUnsignedString(ts), Long.toUnsignedString(g.timestamp()));
          check("balance[" + i + "] debits_pending", w.getString("debits_pending"), g.debitsPending().toString());
          check("balance[" + i + "] debits_posted", w.getString("debits_posted"), g.debitsPosted().toString());
          check("balance[" + i + "] credits_pending", w.getString("credits_pending"), g.creditsPending().toString());
          check("balance[" + i + "] credits_posted", w.getString("credits_posted"), g.creditsPosted().toString());
        }
      }
      case "query_accounts" -> {
        List<Account> got = await(b.queryAccounts(queryFilter(b, s.getJsonObject("filter"))));
        compareIds(s.getJsonArray("account_ids"), got.stream().map(a -> a.id().toString()).toList());
      }
      case "query_transfers" -> {
        List<Transfer> got = await(b.queryTransfers(queryFilter(b, s.getJsonObject("filter"))));
        compareIds(s.getJsonArray("transfer_ids"), got.stream().map(t -> t.id().toString()).toList());
      }
      default -> throw new Mismatch("unknown op " + op);
    }
  }

  // ---- comparison helpers ----

  private static void compareResults(JsonArray want, List<String> got) throws Mismatch {
    if (want.size() != got.size()) throw new Mismatch("expected " + want.size() + " results, got " + got.size());
    for (int i = 0; i < want.size(); i++) {
      if (!want.getString(i).equals(got.get(i))) {
        throw new Mismatch("event " + i + ": expected " + want.getString(i) + ", got " + got.get(i));
      }
    }
  }

  private static void compareIds(JsonArray want, List<String> got) throws Mismatch {
    List<String> w = want.stream().map(Object::toString).toList();
    if (!w.equals(got)) throw new Mismatch("expected ids " + w + ", got " + got);
  }

  private static void check(String what, String want, String got) throws Mismatch {
    if (!want.equals(got)) throw new Mismatch(what + ": expected " + want + ", got " + got);
  }

  /** Runs a create step of {@code op} and compares every event's result, ok included. */
  private <E extends Event> void create(LedgerBackend b, Operation<E, ?> op, JsonObject s,
      Function<JsonObject, E> event) throws Exception {
    List<E> events = new ArrayList<>();
    for (Object o : s.getJsonArray("events")) events.add(event.apply((JsonObject) o));
    ResultCode[] got = Results.expand(await(op.create(b, events)), new ResultCode[events.size()],
        op.resultCodes().get(0));
    compareResults(s.getJsonArray("results"), names(got));
  }

  private static List<String> names(ResultCode[] results) {
    List<String> out = new ArrayList<>();
    for (ResultCode r : results) out.add(r.toString());
    return out;
  }

  private static List<String> idsOf(List<Account> accounts) {
    return accounts.stream().map(a -> a.id().toString()).toList();
  }

  private <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    } catch (TimeoutException e) {
      throw new Mismatch("backend did not answer within " + timeoutSeconds + " s");
    }
  }

  // ---- parsing ----

  private static List<UInt128> ids(JsonArray a) {
    List<UInt128> out = new ArrayList<>();
    for (Object o : a) out.add(UInt128.parse(o.toString()));
    return out;
  }

  private static UInt128 u128(JsonObject o, String k) {
    Object v = o.getValue(k);
    return v == null ? UInt128.ZERO : UInt128.parse(v.toString());
  }

  private static long u64(JsonObject o, String k) {
    Object v = o.getValue(k);
    return v == null ? 0 : Long.parseUnsignedLong(v.toString());
  }

  private static int u32(JsonObject o, String k) {
    Object v = o.getValue(k);
    return v == null ? 0 : (int) Long.parseLong(v.toString());
  }

  static Account account(JsonObject e) {
    int flags = 0;
    for (Object f : e.getJsonArray("flags", new JsonArray())) flags |= AccountFlags.fromName(f.toString());
    flags |= (u32(e, "flags_padding") << 6) & 0xFFFF;
    return new Account(u128(e, "id"), u128(e, "debits_pending"), u128(e, "debits_posted"),
        u128(e, "credits_pending"), u128(e, "credits_posted"), u128(e, "user_data_128"), u64(e, "user_data_64"),
        u32(e, "user_data_32"), u32(e, "reserved"), u32(e, "ledger"), u32(e, "code"), flags, u64(e, "timestamp"));
  }

  static Transfer transfer(JsonObject e) {
    int flags = 0;
    for (Object f : e.getJsonArray("flags", new JsonArray())) flags |= TransferFlags.fromName(f.toString());
    flags |= (u32(e, "flags_padding") << 9) & 0xFFFF;
    return new Transfer(u128(e, "id"), u128(e, "debit_account_id"), u128(e, "credit_account_id"), u128(e, "amount"),
        u128(e, "pending_id"), u128(e, "user_data_128"), u64(e, "user_data_64"), u32(e, "user_data_32"),
        u32(e, "timeout"), u32(e, "ledger"), u32(e, "code"), flags, u64(e, "timestamp"));
  }

  private long timestampRef(LedgerBackend b, Object v) throws Exception {
    if (v == null) return 0;
    if (v instanceof JsonObject ref) {
      if (ref.containsKey("of_transfer")) return transferTimestamp(b, ref.getString("of_transfer"));
      if (ref.containsKey("of_account")) {
        List<UInt128> id = List.of(UInt128.parse(ref.getString("of_account")));
        // With hooks, read without counting as a request, as the original harness reads its own records.
        List<Account> a = await(b.testHooks().isPresent() ? b.testHooks().get().peekAccounts(id)
            : b.lookupAccounts(id));
        if (a.isEmpty()) throw new Mismatch("timestamp reference: no account " + ref.getString("of_account"));
        return a.get(0).timestamp();
      }
      throw new Mismatch("unknown timestamp reference " + ref.encode());
    }
    return Long.parseUnsignedLong(v.toString());
  }

  private long transferTimestamp(LedgerBackend b, String id) throws Exception {
    List<UInt128> ids = List.of(UInt128.parse(id));
    List<Transfer> t = await(b.testHooks().isPresent() ? b.testHooks().get().peekTransfers(ids)
        : b.lookupTransfers(ids));
    if (t.isEmpty()) throw new Mismatch("timestamp reference: no transfer " + id);
    return t.get(0).timestamp();
  }

  private AccountFilter accountFilter(LedgerBackend b, JsonObject f) throws Exception {
    int flags = flags(f, AccountFilterFlags::fromName);
    return new AccountFilter(u128(f, "account_id"), u128(f, "user_data_128"), u64(f, "user_data_64"),
        u32(f, "user_data_32"), u32(f, "code"), timestampRef(b, f.getValue("timestamp_min")),
        timestampRef(b, f.getValue("timestamp_max")), u32(f, "limit"), flags);
  }

  private QueryFilter queryFilter(LedgerBackend b, JsonObject f) throws Exception {
    int flags = flags(f, QueryFilterFlags::fromName);
    return new QueryFilter(u128(f, "user_data_128"), u64(f, "user_data_64"), u32(f, "user_data_32"),
        u32(f, "ledger"), u32(f, "code"), timestampRef(b, f.getValue("timestamp_min")),
        timestampRef(b, f.getValue("timestamp_max")), u32(f, "limit"), flags);
  }

  private static int flags(JsonObject f, ToIntFunction<String> fromName) {
    int flags = 0;
    for (Object o : f.getJsonArray("flags", new JsonArray())) flags |= fromName.applyAsInt(o.toString());
    return flags;
  }

  static void deleteRecursively(Path p) {
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(x -> {
        try {
          Files.deleteIfExists(x);
        } catch (IOException ignored) {
          // best effort cleanup of a temporary directory
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
