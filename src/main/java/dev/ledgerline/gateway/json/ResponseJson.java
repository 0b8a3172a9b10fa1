package dev.ledgerline.gateway.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ledgerline.ledger.model.Account;
import dev.ledgerline.ledger.model.AccountFlags;
import dev.ledgerline.ledger.model.CreateAccountResult;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.List;

/**
 * JSON bodies of API responses. Every u128 and u64 (ids, amounts, balances, user data, timestamps) is a decimal
 * string, so clients never round them; u32/u16 values are JSON integers; flags are name arrays. Field names match
 * the request bodies.
 */
public final class ResponseJson {
  private static final JsonFactory FACTORY = JsonFactory.builder().build();

  private ResponseJson() {}

  @FunctionalInterface
  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static Buffer render(Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in-memory output: does not happen
    }
    return Buffer.buffer(out.toByteArray());
  }

  @FunctionalInterface
  private interface Element {
    void write(JsonGenerator g, int index) throws IOException;
  }

  /** {@code {"field": [element 0, ..., element size-1]}}: the shape of every list the API answers with. */
  private static Buffer renderArray(String field, int size, Element element) {
    return render(g -> {
      g.writeStartObject();
      g.writeArrayFieldStart(field);
      for (int i = 0; i < size; i++) {
        element.write(g, i);
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  public static Buffer account(Account a) {
    return render(g -> writeAccount(g, a, null));
  }

  /** {@code {"accounts": [...]}}. */
  public static Buffer accounts(List<Account> accounts) {
    return renderArray("accounts", accounts.size(), (g, i) -> writeAccount(g, accounts.get(i), null));
  }

  /**
   * When a shown balance was the ledger's: its version (the timestamp of the latest transfer that touched the
   * account, else the account's own) and how long ago it was read from the ledger.
   */
  public record BalanceStamp(long version, long ageMillis) {}

  /**
   * {@code {"accounts": [...]}}, each with {@code balance_version} (a decimal string, like every timestamp) and
   * {@code balance_age_ms} from its stamp; a null stamp leaves both out.
   */
  public static Buffer accounts(List<Account> accounts, List<BalanceStamp> stamps) {
    requireSameSize(accounts, stamps);
    return renderArray("accounts", accounts.size(), (g, i) -> writeAccount(g, accounts.get(i), stamps.get(i)));
  }

  public static Buffer transfer(Transfer t) {
    return render(g -> writeTransfer(g, t));
  }

  /** {@code {"transfers": [...]}}. */
  public static Buffer transfers(List<Transfer> transfers) {
    return renderArray("transfers", transfers.size(), (g, i) -> writeTransfer(g, transfers.get(i)));
  }

  /**
   * Results of a create_transfers batch: {@code {"results": [{"index": 0, "id": "...", "result": "ok"}, ...]}}, one per
   * event in request order (a result is the ledger's name, or a name the gateway answers instead). The id is included
   * because the gateway may have generated it.
   */
  public static Buffer transferResults(List<UInt128> ids, List<?> results) {
    return results(ids, results);
  }

  /** Results of a create_accounts batch, shaped like {@link #transferResults}. */
  public static Buffer accountResults(List<UInt128> ids, List<CreateAccountResult> results) {
    return results(ids, results);
  }

  /** One {@code {"index","id","result"}} per event; a result renders as its TigerBeetle name. */
  private static Buffer results(List<UInt128> ids, List<?> results) {
    requireSameSize(ids, results);
    return renderArray("results", ids.size(), (g, i) -> writeResult(g, i, ids.get(i), results.get(i).toString()));
  }

  private static void requireSameSize(List<?> a, List<?> b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException("ids and results differ in size: " + a.size() + " vs " + b.size());
    }
  }

  private static void writeResult(JsonGenerator g, int index, UInt128 id, String result) throws IOException {
    g.writeStartObject();
    g.writeNumberField("index", index);
    g.writeStringField("id", id.toString());
    g.writeStringField("result", result);
    g.writeEndObject();
  }

  /**
   * The balance the account can still spend, as a signed decimal string. For an account whose debits must not exceed
   * its credits (or with neither limit): credits_posted - debits_posted - debits_pending. For an account whose
   * credits must not exceed its debits (a debit-balance account): debits_posted - credits_posted - credits_pending.
   * Pending amounts on the spending side count as spent, the other side's pending amounts do not count yet.
   */
  public static BigInteger available(Account a) {
    if (a.hasFlag(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)) {
      return a.debitsPosted().toBigInteger().subtract(a.creditsPosted().toBigInteger())
          .subtract(a.creditsPending().toBigInteger());
    }
    return a.creditsPosted().toBigInteger().subtract(a.debitsPosted().toBigInteger())
        .subtract(a.debitsPending().toBigInteger());
  }

  private static void writeAccount(JsonGenerator g, Account a, BalanceStamp stamp) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", a.id().toString());
    g.writeStringField("debits_pending", a.debitsPending().toString());
    g.writeStringField("debits_posted", a.debitsPosted().toString());
    g.writeStringField("credits_pending", a.creditsPending().toString());
    g.writeStringField("credits_posted", a.creditsPosted().toString());
    g.writeStringField("available", available(a).toString());
    g.writeStringField("user_data_128", a.userData128().toString());
    g.writeStringField("user_data_64", Long.toUnsignedString(a.userData64()));
    g.writeNumberField("user_data_32", Integer.toUnsignedLong(a.userData32()));
    g.writeNumberField("ledger", Integer.toUnsignedLong(a.ledger()));
    g.writeNumberField("code", a.code());
    writeFlags(g, FlagNames.ACCOUNT.namesOf(a.flags()));
    g.writeStringField("timestamp", Long.toUnsignedString(a.timestamp()));
    if (stamp != null) {
      g.writeStringField("balance_version", Long.toUnsignedString(stamp.version()));
      g.writeNumberField("balance_age_ms", stamp.ageMillis());
    }
    g.writeEndObject();
  }

  private static void writeTransfer(JsonGenerator g, Transfer t) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", t.id().toString());
    g.writeStringField("debit_account_id", t.debitAccountId().toString());
    g.writeStringField("credit_account_id", t.creditAccountId().toString());
    g.writeStringField("amount", t.amount().toString());
    g.writeStringField("pending_id", t.pendingId().toString());
    g.writeStringField("user_data_128", t.userData128().toString());
    g.writeStringField("user_data_64", Long.toUnsignedString(t.userData64()));
    g.writeNumberField("user_data_32", Integer.toUnsignedLong(t.userData32()));
    g.writeNumberField("timeout", Integer.toUnsignedLong(t.timeout()));
    g.writeNumberField("ledger", Integer.toUnsignedLong(t.ledger()));
    g.writeNumberField("code", t.code());
    writeFlags(g, FlagNames.TRANSFER.namesOf(t.flags()));
    g.writeStringField("timestamp", Long.toUnsignedString(t.timestamp()));
    g.writeEndObject();
  }

  private static void writeFlags(JsonGenerator g, List<String> names) throws IOException {
    g.writeArrayFieldStart("flags");
    for (String n : names) {
      g.writeString(n);
    }
    g.writeEndArray();
  }
}
