package dev.ledgerline.infra.postgres;

import dev.ledgerline.infra.DataServiceException;

/** A schema migration failed; the database is left at the last successfully applied version. */
public final class MigrationException extends DataServiceException {

  public MigrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
