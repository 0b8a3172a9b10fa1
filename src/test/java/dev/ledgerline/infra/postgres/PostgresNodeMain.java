package dev.ledgerline.infra.postgres;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** A stand-in node for crash tests: starts embedded PostgreSQL on the given directory and runs until killed. */
public final class PostgresNodeMain {

  private PostgresNodeMain() {
  }

  public static void main(String[] args) throws InterruptedException {
    EmbeddedPostgresServer server = EmbeddedPostgresServer.start(PostgresSettings.embedded(Path.of(args[0])));
    System.out.println("READY " + server.pid() + " " + server.port());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
