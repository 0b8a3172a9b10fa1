package dev.ledgerline.events.webhooks;

import dev.ledgerline.infra.postgres.ArrayColumns;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Turns messages into delivery rows, one statement for a whole batch: a message goes to every enabled endpoint
 * subscribed to its type whose owner owns one of the accounts it touches ({@code account_owners}), or that sees all
 * accounts (registered by an operator or admin, while its owner still is one), and whose owner is active; a message
 * with an owner of its own goes to that owner's endpoints only. The message is stored only when some endpoint gets it,
 * and a message or delivery already there is left as it was, so a batch handed over twice (at least once upstream)
 * delivers once.
 */
final class WebhookMessages {
  /** Published (cluster-wide) after new deliveries were written: dispatchers look for due ones at once. */
  static final String DUE = "ledgerline.webhooks.due";

  private static final String ENQUEUE = "WITH m AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], "
      + "$4::timestamptz[], $5::text[]) AS m(id, type, body, occurred_at, owner)), "
      + "a AS (SELECT * FROM unnest($6::uuid[], $7::text[]) AS a(message_id, account_id)), "
      + "owners AS (SELECT DISTINCT a.message_id, o.owner FROM a JOIN account_owners o "
      + "ON o.account_id = a.account_id::numeric), "
      // The owner as the users table says now: a suspended or closed owner's endpoints get nothing new, and one
      // registered by an operator or admin sees every account only while its owner still is one. (An owner with
      // no row there, users.check off, keeps what its endpoint was registered with.)
      + "live AS (SELECT e.id, e.owner, e.events, " + WebhookEndpoints.seesAll("e") + " AS sees_all "
      + "FROM webhook_endpoints e WHERE e.status = 'enabled' "
      + "AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = e.owner AND u.status <> 'active')), "
      + "targets AS (SELECT DISTINCT m.id AS message_id, e.id AS endpoint_id, m.occurred_at FROM m "
      + "JOIN live e ON m.type = ANY(e.events) AND CASE "
      + "WHEN m.owner IS NOT NULL THEN e.owner = m.owner "
      + "ELSE e.sees_all OR EXISTS (SELECT 1 FROM owners w WHERE w.message_id = m.id AND w.owner = e.owner) END), "
      + "ins AS (INSERT INTO webhook_messages (id, type, body) SELECT m.id, m.type, m.body FROM m "
      + "WHERE m.id IN (SELECT message_id FROM targets) ON CONFLICT (id) DO NOTHING) "
      + "INSERT INTO webhook_deliveries (endpoint_id, message_id, occurred_at) "
      + "SELECT endpoint_id, message_id, occurred_at FROM targets ON CONFLICT (endpoint_id, message_id) DO NOTHING";

  /**
   * One message: its id is the receivers' {@code webhook-id} (the same for every endpoint and attempt).
   *
   * @param accounts the ledger accounts it is about (decimal ids)
   * @param owner the one owner it is for, or null to go by the accounts
   */
  record Message(UUID id, String type, Instant occurredAt, JsonObject data, List<String> accounts, String owner) {
    /** The body as Standard Webhooks suggests: type, timestamp and data. */
    String body() {
      return new JsonObject().put("type", type).put("timestamp", occurredAt.toString()).put("data", data).encode();
    }
  }

  private WebhookMessages() {}

  /** Writes the deliveries of {@code messages}; the number written. */
  static Future<Integer> enqueue(SqlClient sql, List<Message> messages) {
    if (messages.isEmpty()) {
      return Future.succeededFuture(0);
    }
    List<UUID> accountMessages = new ArrayList<>();
    List<String> accounts = new ArrayList<>();
    for (Message m : messages) {
      for (String account : m.accounts()) {
        accountMessages.add(m.id());
        accounts.add(account);
      }
    }
    return sql.preparedQuery(ENQUEUE).execute(Tuple.of(ArrayColumns.of(messages, Message::id, UUID[]::new),
            ArrayColumns.of(messages, Message::type, String[]::new),
            ArrayColumns.of(messages, Message::body, String[]::new),
            ArrayColumns.of(messages, m -> m.occurredAt().atOffset(ZoneOffset.UTC), OffsetDateTime[]::new),
            ArrayColumns.of(messages, Message::owner, String[]::new),
            accountMessages.toArray(new UUID[0]), accounts.toArray(new String[0])))
        .map(rows -> rows.rowCount());
  }

  /** Tells every node's dispatcher that deliveries are due. */
  static void announce(Vertx vertx, int written) {
    if (written > 0) {
      vertx.eventBus().publish(DUE, written);
    }
  }
}
