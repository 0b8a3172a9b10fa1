package dev.ledgerline.gateway.revocation;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The durable record of revocations in PostgreSQL ({@code revoked_tokens}): one row per jti, with the token's exp. */
public final class RevocationRecords {
  /** One revoked token. */
  public record Revoked(String jti, Instant expiresAt) {}

  private final SqlClient sql;

  public RevocationRecords(SqlClient sql) {
    this.sql = Objects.requireNonNull(sql);
  }

  /** Records a revocation; recording it again keeps the later exp. */
  public Future<Void> record(String jti, Instant expiresAt) {
    return sql.preparedQuery("INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) "
            + "DO UPDATE SET expires_at = GREATEST(revoked_tokens.expires_at, EXCLUDED.expires_at)")
        .execute(Tuple.of(jti, utc(expiresAt))).mapEmpty();
  }

  /** The exp of a revoked token, if it was revoked. */
  public Future<Optional<Instant>> find(String jti) {
    return sql.preparedQuery("SELECT expires_at FROM revoked_tokens WHERE jti = $1").execute(Tuple.of(jti))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(rows.iterator().next().getOffsetDateTime("expires_at").toInstant()));
  }

  /** Every revocation whose token expires after {@code after}. */
  public Future<List<Revoked>> activeAfter(Instant after) {
    return sql.preparedQuery("SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > $1")
        .execute(Tuple.of(utc(after))).map(rows -> {
          List<Revoked> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Revoked(r.getString("jti"), r.getOffsetDateTime("expires_at").toInstant()));
          }
          return out;
        });
  }

  /** Deletes revocations whose token expired at or before {@code before}; returns how many. */
  public Future<Integer> purge(Instant before) {
    return sql.preparedQuery("DELETE FROM revoked_tokens WHERE expires_at <= $1").execute(Tuple.of(utc(before)))
        .map(rows -> rows.rowCount());
  }

  private static OffsetDateTime utc(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
