package dev.ledgerline.cli.bench;

import dev.ledgerline.infra.DataServices;
import dev.ledgerline.infra.postgres.PostgresSettings;
import dev.ledgerline.ledger.conformance.ConformanceRunnerSupport;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** A benchmark's own embedded PostgreSQL (migrated) in a temporary directory, with a Vert.x; removed on close. */
record BenchPostgres(Vertx vertx, DataServices pg, Path dir) implements AutoCloseable {

  static BenchPostgres start(String prefix, int poolSize) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    // As root the embedded server runs unprivileged: the directory must let it through.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Vertx vertx = Vertx.vertx();
    DataServices pg = DataServices.startPostgres(vertx,
        PostgresSettings.embedded(dir.resolve("pg")).withPoolSize(poolSize)).await();
    return new BenchPostgres(vertx, pg, dir);
  }

  @Override
  public void close() throws IOException {
    pg.close().await();
    vertx.close().await();
    ConformanceRunnerSupport.deleteRecursively(dir);
  }
}
