package dev.ledgerline.gateway.json;

import com.fasterxml.jackson.core.JsonToken;
import dev.ledgerline.ledger.LedgerBackend;
import dev.ledgerline.ledger.model.ReservedIds;
import dev.ledgerline.ledger.model.TransferFlags;
import dev.ledgerline.ledger.model.UInt128;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Strict parsing of the API's request bodies into typed requests. Every method throws
 * {@link InvalidRequestException} listing all problems found, each with the JSON path of its field.
 *
 * <p>Representation rules: u128 fields ({@code id}, account ids, {@code amount}, {@code pending_id},
 * {@code user_data_128}) and u64 fields ({@code user_data_64}) are strings of decimal digits ("0" or no leading
 * zero, below 2^128 / 2^64); JSON numbers are refused for them because clients' JSON libraries silently round large
 * numbers. u32 fields ({@code user_data_32}, {@code ledger}, {@code timeout} in seconds) and the u16 {@code code} are
 * JSON integers in range (no fraction, exponent or sign): they fit every JSON library exactly. {@code flags} is an
 * array of TigerBeetle flag names.
 *
 * <p>Required fields: a transfer needs {@code debit_account_id}, {@code credit_account_id}, {@code amount},
 * {@code ledger} and {@code code}; a post of a pending transfer needs {@code pending_id} and {@code amount} (an
 * explicit amount, so that forgetting it never posts zero), a void needs {@code pending_id}; fields left out of a post
 * or void are zero and the ledger takes them from the pending transfer. An account needs {@code ledger} and
 * {@code code}. Whether a present value is allowed (ids not zero, ledger not zero...) is the ledger's to answer with
 * its own result codes.
 */
public final class RequestParser {
  /** Events per batch request: the ledger's batch limit. */
  public static final int MAX_BATCH = LedgerBackend.BATCH_MAX;

  private static final String LEDGER_SET = "set by the ledger; not accepted from clients";

  static final Set<String> TRANSFER_FIELDS = Set.of("id", "debit_account_id", "credit_account_id", "amount",
      "pending_id", "user_data_128", "user_data_64", "user_data_32", "timeout", "ledger", "code", "flags");
  private static final Map<String, String> TRANSFER_REFUSED = Map.of("timestamp", LEDGER_SET);

  static final Set<String> ACCOUNT_FIELDS = Set.of("id", "user_data_128", "user_data_64", "user_data_32", "ledger",
      "code", "flags");
  private static final Map<String, String> ACCOUNT_REFUSED = Map.of("timestamp", LEDGER_SET,
      "debits_pending", LEDGER_SET, "debits_posted", LEDGER_SET, "credits_pending", LEDGER_SET,
      "credits_posted", LEDGER_SET, "reserved", "reserved by the ledger; must not be sent");

  private static final long U32_MAX = 0xFFFF_FFFFL;
  private static final long U16_MAX = 0xFFFF;

  private RequestParser() {}

  /** One transfer: {@code {"debit_account_id": "1", ...}}. */
  public static TransferRequest transfer(byte[] body) {
    return single(body, new TransferFields());
  }

  /** A batch: {@code {"transfers": [ {...}, ... ]}} with 1 to {@value LedgerBackend#BATCH_MAX} transfers. */
  public static List<TransferRequest> transfers(byte[] body) {
    return batch(body, "transfers", "transfer", TransferFields::new);
  }

  /** One account: {@code {"ledger": 1, "code": 10, "flags": ["history"]}}. */
  public static AccountRequest account(byte[] body) {
    return single(body, new AccountFields());
  }

  /** A batch: {@code {"accounts": [ {...}, ... ]}} with 1 to {@value LedgerBackend#BATCH_MAX} accounts. */
  public static List<AccountRequest> accounts(byte[] body) {
    return batch(body, "accounts", "account", AccountFields::new);
  }

  /** Field readers shared by single and batch bodies. */
  private interface Fields<T> {
    void read(String name, String path, StrictReader in) throws IOException;

    /** Checks required fields once the object is read; false when it recorded an error. */
    boolean finish(String path, StrictReader in);

    T build();

    Set<String> known();

    Map<String, String> refused();
  }

  private static <T> T single(byte[] body, Fields<T> f) {
    return StrictReader.parse(body, f.refused(), f.known(), f::read,
        in -> f.finish("", in) && !in.hasErrors() ? f.build() : null);
  }

  private static <T> List<T> batch(byte[] body, String member, String what, Supplier<Fields<T>> fields) {
    List<Fields<T>> items = new ArrayList<>();
    boolean[] present = {false};
    return StrictReader.parse(body, Map.of(), Set.of(member), (name, path, in) -> {
      present[0] = true;
      if (in.p.currentToken() != JsonToken.START_ARRAY) {
        in.error(path, "must be an array of " + what + " objects");
        in.skip();
        return;
      }
      int i = 0;
      JsonToken t;
      while ((t = in.p.nextToken()) != JsonToken.END_ARRAY) {
        if (i >= MAX_BATCH) {
          in.skip(); // keep counting so the error can say how many were sent
          i++;
          continue;
        }
        String at = StrictReader.index(path, i++);
        if (t != JsonToken.START_OBJECT) {
          in.error(at, "must be a " + what + " object");
          in.skip();
          continue;
        }
        Fields<T> f = fields.get();
        in.object(at, f.known(), f.refused(), f::read);
        f.finish(at, in);
        items.add(f);
      }
      if (i == 0) {
        in.error(path, "must contain at least one " + what);
      } else if (i > MAX_BATCH) {
        in.error(path, "at most " + MAX_BATCH + " " + what + "s per request; got " + i);
      }
    }, in -> {
      if (!present[0]) {
        in.error(member, "is required");
      }
      if (in.hasErrors()) {
        return null;
      }
      List<T> out = new ArrayList<>(items.size());
      for (Fields<T> f : items) {
        out.add(f.build());
      }
      return out;
    });
  }

  /** The fields accounts and transfers share, and which fields a body sent. */
  private abstract static class EventFields<T> implements Fields<T> {
    private final Set<String> known;
    private final Map<String, String> refused;
    private final FlagNames flagNames;
    final Set<String> present = new HashSet<>();
    boolean invalid;
    UInt128 id;
    UInt128 userData128 = UInt128.ZERO;
    long userData64;
    int userData32;
    int ledger;
    int code;
    Integer flags = 0;

    EventFields(Set<String> known, Map<String, String> refused, FlagNames flagNames) {
      this.known = known;
      this.refused = refused;
      this.flagNames = flagNames;
    }

    @Override
    public Set<String> known() {
      return known;
    }

    @Override
    public Map<String, String> refused() {
      return refused;
    }

    @Override
    public void read(String name, String path, StrictReader in) throws IOException {
      present.add(name);
      int before = in.errorCount();
      switch (name) {
        case "id":
          id = in.u128(path);
          if (id != null && ReservedIds.reserved(id)) {
            in.error(path, "is reserved: ids whose top 32 bits are 0x4C454447 are the platform's own");
          }
          break;
        case "user_data_128": userData128 = in.u128(path); break;
        case "user_data_64": userData64 = orZero(in.u64(path)); break;
        case "user_data_32": userData32 = orZero(in.uint(path, U32_MAX)); break;
        case "ledger": ledger = orZero(in.uint(path, U32_MAX)); break;
        case "code": code = orZero(in.uint(path, U16_MAX)); break;
        case "flags": flags = in.flags(path, flagNames); break;
        default: readOwn(name, path, in);
      }
      invalid |= in.errorCount() != before;
    }

    /** A field only this kind of event has ({@link #known} lets no other through). */
    void readOwn(String name, String path, StrictReader in) throws IOException {
      throw new IllegalStateException(name);
    }

    /** Records "is required" (with {@code why}) for each of {@code fields} not sent; false if any was invalid. */
    boolean require(List<String> fields, String why, String path, StrictReader in) {
      boolean ok = !invalid;
      for (String r : fields) {
        if (!present.contains(r)) {
          in.error(StrictReader.child(path, r), "is required" + why);
          ok = false;
        }
      }
      return ok;
    }
  }

  private static final class TransferFields extends EventFields<TransferRequest> {
    private UInt128 debit = UInt128.ZERO;
    private UInt128 credit = UInt128.ZERO;
    private UInt128 amount = UInt128.ZERO;
    private UInt128 pending = UInt128.ZERO;
    private int timeout;

    TransferFields() {
      super(TRANSFER_FIELDS, TRANSFER_REFUSED, FlagNames.TRANSFER);
    }

    @Override
    void readOwn(String name, String path, StrictReader in) throws IOException {
      switch (name) {
        case "debit_account_id": debit = in.u128(path); break;
        case "credit_account_id": credit = in.u128(path); break;
        case "amount": amount = in.u128(path); break;
        case "pending_id": pending = in.u128(path); break;
        case "timeout": timeout = orZero(in.uint(path, U32_MAX)); break;
        default: super.readOwn(name, path, in);
      }
    }

    @Override
    public boolean finish(String path, StrictReader in) {
      if (flags == null) {
        return false; // which fields are required depends on the flags
      }
      if ((flags & TransferFlags.POST_PENDING_TRANSFER) != 0) {
        return require(List.of("pending_id", "amount"), " (for post_pending_transfer)", path, in);
      } else if ((flags & TransferFlags.VOID_PENDING_TRANSFER) != 0) {
        return require(List.of("pending_id"), " (for void_pending_transfer)", path, in);
      }
      return require(List.of("debit_account_id", "credit_account_id", "amount", "ledger", "code"), "", path, in);
    }

    @Override
    public TransferRequest build() {
      return new TransferRequest(id, debit, credit, amount, pending, userData128, userData64, userData32, timeout,
          ledger, code, flags);
    }
  }

  private static final class AccountFields extends EventFields<AccountRequest> {
    AccountFields() {
      super(ACCOUNT_FIELDS, ACCOUNT_REFUSED, FlagNames.ACCOUNT);
    }

    @Override
    public boolean finish(String path, StrictReader in) {
      return require(List.of("ledger", "code"), "", path, in);
    }

    @Override
    public AccountRequest build() {
      return new AccountRequest(id, userData128, userData64, userData32, ledger, code, flags);
    }
  }

  private static long orZero(Long v) {
    return v == null ? 0 : v;
  }

  private static int orZero(Integer v) {
    return v == null ? 0 : v;
  }
}
