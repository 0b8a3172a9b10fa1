package dev.ledgerline.providers;

import dev.ledgerline.config.LedgerlineConfig;
import dev.ledgerline.providers.BalanceReads.BalanceRead;
import dev.ledgerline.providers.PaymentProvider.Account;
import dev.ledgerline.providers.PaymentProvider.Accounts;
import dev.ledgerline.providers.PaymentProvider.LinkedItem;
import dev.ledgerline.vault.KeyRing;
import dev.ledgerline.vault.TokenVault;
import dev.ledgerline.vault.VaultToken;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users' bank links: a provider's public token exchanged (through the breaker) for an access token, which goes into
 * the {@link TokenVault} under kind {@code plaid:<link id>} (one row per link, so deleting it crypto-shreds exactly that
 * link's token), and the link's public part (institution and accounts) in {@code linked_accounts}. Every call is
 * scoped to its owner: a link of another user is not found, never refused, so its existence does not show.
 *
 * <p>The access token lives only between the vault and the one provider call that needs it; it is never returned,
 * logged or kept in memory.
 */
public final class LinkedAccounts {
  private static final Logger LOG = LoggerFactory.getLogger(LinkedAccounts.class);
  /** The most links one list page holds. */
  public static final int MAX_PAGE = 100;

  /** A link's public part. {@code institution} is the provider's institution id ("" when it named none). */
  public record Link(UUID id, long seq, String owner, String itemId, String institution, List<Account> accounts,
      Instant createdAt) {}

  /** One page of a user's links, oldest first; {@code nextAfter} is the last seq shown when there are more. */
  public record Page(List<Link> links, Long nextAfter) {}

  private final Pool pool;
  private final TokenVault vault;
  private final GuardedProvider provider;
  private final BalanceReads balances;

  LinkedAccounts(Pool pool, TokenVault vault, GuardedProvider provider, BalanceReads balances) {
    this.pool = pool;
    this.vault = vault;
    this.provider = provider;
    this.balances = balances;
  }

  /**
   * Builds the vault (the key ring from {@code vault.*}, generating the development key on embedded defaults the
   * first time) and the linked accounts on top of it. Completes with empty when the vault is not configured on this
   * node ({@code vault.keys} empty and no development key allowed): the node runs, and the linked-accounts API says
   * it is unavailable. A vault that is configured but unusable (a missing key file, a key id holding other bytes)
   * fails, and the node does not start.
   */
  public static Future<Optional<LinkedAccounts>> open(Vertx vertx, LedgerlineConfig config, Pool pool,
      Providers providers) {
    if (!KeyRing.configured(config)) {
      LOG.warn("the token vault is not configured (vault.keys is empty and vault.dev-key does not allow a development"
          + " key here): the linked-accounts API answers 503 on this node (docs/vault.md)");
      return Future.succeededFuture(Optional.empty());
    }
    // Reading (or generating) key files is blocking work.
    return vertx.executeBlocking(() -> KeyRing.fromConfig(config), false)
        .compose(ring -> TokenVault.open(pool, ring))
        .map(v -> Optional.of(new LinkedAccounts(pool, v, providers.provider(), providers.balances())));
  }

  private static String kind(UUID id) {
    return "plaid:" + id;
  }

  /**
   * Links a bank for {@code owner}: exchanges the public token, reads the item's accounts, seals the access token in
   * the vault and records the link. Fails with the provider's exceptions ({@link InvalidProviderTokenException} for a
   * public token that is unknown, used or expired).
   */
  public Future<Link> link(String owner, String publicToken) {
    UUID id = UUID.randomUUID();
    return provider.exchangePublicToken(publicToken).compose(item -> provider.accounts(item.accessToken())
        .compose(accounts -> store(owner, id, item, accounts)));
  }

  private Future<Link> store(String owner, UUID id, LinkedItem item, Accounts accounts) {
    VaultToken token = VaultToken.of(item.accessToken());
    Future<Void> sealed;
    try {
      sealed = vault.store(owner, kind(id), token);
    } finally {
      token.destroy();
    }
    JsonArray metadata = new JsonArray();
    for (Account a : accounts.accounts()) {
      metadata.add(new JsonObject().put("account_id", a.accountId()).put("name", a.name()).put("mask", a.mask())
          .put("type", a.type()).put("subtype", a.subtype()));
    }
    String institution = accounts.institutionId() == null ? "" : accounts.institutionId();
    return sealed.compose(v -> pool.preparedQuery("INSERT INTO linked_accounts (id, owner, provider, item_id,"
                + " institution_id, accounts) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq, created_at")
            .execute(Tuple.of(id, owner, provider.name(), item.itemId(), institution, metadata))
            .recover(err -> vault.delete(owner, kind(id)).transform(ignored -> Future.failedFuture(err))))
        .map(rows -> {
          Row r = rows.iterator().next();
          return new Link(id, r.getLong("seq"), owner, item.itemId(), institution, publicAccounts(metadata),
              r.getOffsetDateTime("created_at").toInstant());
        });
  }

  /** {@code owner}'s links after {@code afterSeq} (0 = from the start), oldest first. */
  public Future<Page> list(String owner, long afterSeq, int limit) {
    return pool.preparedQuery("SELECT id, seq, owner, item_id, institution_id, accounts, created_at FROM"
            + " linked_accounts WHERE owner = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .execute(Tuple.of(owner, afterSeq, limit + 1))
        .map(rows -> {
          List<Link> links = new ArrayList<>();
          for (Row r : rows) {
            links.add(link(r));
          }
          boolean more = links.size() > limit;
          List<Link> shown = more ? links.subList(0, limit) : links;
          return new Page(List.copyOf(shown), more ? shown.get(shown.size() - 1).seq() : null);
        });
  }

  /** {@code owner}'s link {@code id}; empty when there is none or it is another user's. */
  public Future<Optional<Link>> find(String owner, UUID id) {
    return pool.preparedQuery("SELECT id, seq, owner, item_id, institution_id, accounts, created_at FROM"
            + " linked_accounts WHERE id = $1 AND owner = $2")
        .execute(Tuple.of(id, owner))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(link(rows.iterator().next())));
  }

  /**
   * The link's balances through the breaker, or its last good ones (stale) while the provider is unavailable. The
   * access token is taken out of the vault for the one call and wiped afterwards.
   */
  public Future<BalanceRead> balances(Link link) {
    return vault.retrieve(link.owner(), kind(link.id())).compose(token -> {
      Future<BalanceRead> read;
      try {
        read = balances.read(link.id().toString(), token.reveal());
      } finally {
        token.destroy();
      }
      return read;
    });
  }

  /**
   * Deletes {@code owner}'s link {@code id}: the vault row first (the token is gone for good once it is), then the
   * public part, and forgets its cached balances. False when the owner has no such link.
   */
  public Future<Boolean> unlink(String owner, UUID id) {
    return find(owner, id).compose(found -> {
      if (found.isEmpty()) {
        return Future.succeededFuture(false);
      }
      return vault.delete(owner, kind(id))
          .compose(v -> pool.preparedQuery("DELETE FROM linked_accounts WHERE id = $1 AND owner = $2")
              .execute(Tuple.of(id, owner)))
          .map(rows -> {
            balances.forget(id.toString());
            return true;
          });
    });
  }

  /** What a payment debits: the link's access token (out of the vault), its first account and its owner. */
  public record Debit(String owner, String accessToken, String accountId) {
    @Override
    public String toString() {
      return "Debit[owner=" + owner + ", accountId=" + accountId + "]";
    }
  }

  /**
   * The account a payment on link {@code id} debits, for the saga's external step: the link's first account, with
   * the access token taken out of the vault for the provider call. Fails when there is no such link (unlinked since
   * the payment was accepted).
   */
  public Future<Debit> debit(UUID id) {
    return pool.preparedQuery("SELECT owner, accounts FROM linked_accounts WHERE id = $1").execute(Tuple.of(id))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(new UnknownLinkedAccountException("no linked account " + id));
          }
          Row r = rows.iterator().next();
          String owner = r.getString("owner");
          JsonArray accounts = (JsonArray) r.getJson("accounts");
          if (accounts.isEmpty()) {
            return Future.failedFuture(new IllegalStateException("linked account " + id + " has no bank account"));
          }
          String accountId = accounts.getJsonObject(0).getString("account_id");
          return vault.retrieve(owner, kind(id)).map(token -> {
            try {
              return new Debit(owner, token.reveal(), accountId);
            } finally {
              token.destroy();
            }
          });
        });
  }

  /** One page of the provider's institution catalog, through the breaker. */
  public Future<PaymentProvider.Institutions> institutions(int count, int offset, List<String> countryCodes) {
    return provider.institutions(count, offset, countryCodes);
  }

  private static Link link(Row r) {
    JsonArray accounts = (JsonArray) r.getJson("accounts");
    OffsetDateTime created = r.getOffsetDateTime("created_at");
    return new Link(r.getUUID("id"), r.getLong("seq"), r.getString("owner"), r.getString("item_id"),
        r.getString("institution_id"), publicAccounts(accounts), created.toInstant());
  }

  private static List<Account> publicAccounts(JsonArray accounts) {
    List<Account> out = new ArrayList<>();
    for (int i = 0; i < accounts.size(); i++) {
      JsonObject a = accounts.getJsonObject(i);
      out.add(new Account(a.getString("account_id"), a.getString("name"), null, a.getString("mask"),
          a.getString("type"), a.getString("subtype"), null));
    }
    return List.copyOf(out);
  }
}
