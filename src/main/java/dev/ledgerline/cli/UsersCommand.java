package dev.ledgerline.cli;

import dev.ledgerline.users.InvalidUserException;
import dev.ledgerline.users.Permission;
import dev.ledgerline.users.RolePermissions;
import dev.ledgerline.users.User;
import dev.ledgerline.users.UserChange;
import dev.ledgerline.users.UserExistsException;
import dev.ledgerline.users.UserNotFoundException;
import dev.ledgerline.users.UserStatus;
import dev.ledgerline.users.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ledgerline users create|suspend|activate|grant|deny|show}: user administration for operators without an
 * admin token at hand. It talks to the node's PostgreSQL directly (the running node's embedded server when there is
 * one), records {@code cli:<os user>} as the actor, and every node hears of the change through PostgreSQL
 * {@code NOTIFY}.
 */
@Command(name = "users", mixinStandardHelpOptions = true,
    description = "Create, suspend and grant permissions to users, in the node's PostgreSQL.",
    subcommands = {UsersCommand.Create.class, UsersCommand.Suspend.class, UsersCommand.Activate.class,
        UsersCommand.Grant.class, UsersCommand.Deny.class, UsersCommand.Show.class})
public final class UsersCommand implements Runnable {
  static final int EXIT_FAILED = PostgresCli.EXIT_FAILED;
  static final int EXIT_USAGE = PostgresCli.EXIT_USAGE;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs one store call against the configured PostgreSQL and prints its answer as JSON. */
  abstract static class Action implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions node;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why; kept in the user's audit trail.")
    String reason;

    abstract Future<JsonObject> apply(UserStore store, String actor);

    @Override
    public Integer call() {
      PostgresCli cli = new PostgresCli(spec, List.of(InvalidUserException.class),
          List.of(UserNotFoundException.class, UserExistsException.class));
      return cli.run(node, (cfg, pool) -> {
        UserStore store = new UserStore(pool, RolePermissions.from(cfg.users()),
            dev.ledgerline.events.EventPublisher.create(cfg));
        cli.print(apply(store, "cli:" + System.getProperty("user.name", "unknown")).await().encodePrettily());
        return 0;
      });
    }

    static JsonObject show(User user, UserStore store) {
      return user.toJson(store.rolePermissions());
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an active user.")
  static final class Create extends Action {
    @Parameters(index = "0", paramLabel = "ID", description = "The user id: their tokens' sub claim.")
    String id;

    @Option(names = "--roles", split = ",", paramLabel = "ROLE", defaultValue = "user",
        description = "Comma-separated roles: user, operator, admin (default: ${DEFAULT-VALUE}).")
    List<String> roles;

    @Option(names = "--grant", split = ",", paramLabel = "PERMISSION", description = "Extra permissions.")
    List<String> grant = List.of();

    @Override
    Future<JsonObject> apply(UserStore store, String actor) {
      return store.create(id, UserStatus.ACTIVE, UserChange.roles(new JsonArray(roles)),
              Permission.parseAll(grant, "grant"), Set.of(), actor, reason)
          .map(u -> show(u, store));
    }
  }

  /** A subcommand that applies one change to one user. */
  abstract static class Change extends Action {
    @Parameters(index = "0", paramLabel = "ID", description = "The user id.")
    String id;

    abstract UserChange change();

    @Override
    Future<JsonObject> apply(UserStore store, String actor) {
      return store.update(id, change(), actor).map(u -> show(u, store));
    }
  }

  @Command(name = "suspend", mixinStandardHelpOptions = true,
      description = "Suspend a user: their requests are refused at once, their streams closed.")
  static final class Suspend extends Change {
    @Override
    UserChange change() {
      return UserChange.status(UserStatus.SUSPENDED, reason);
    }
  }

  @Command(name = "activate", mixinStandardHelpOptions = true, description = "Reinstate a suspended user.")
  static final class Activate extends Change {
    @Override
    UserChange change() {
      return UserChange.status(UserStatus.ACTIVE, reason);
    }
  }

  @Command(name = "grant", mixinStandardHelpOptions = true, description = "Give a user permissions beyond their roles.")
  static final class Grant extends Change {
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "PERMISSION", description = "e.g. webhooks:manage")
    List<String> permissions;

    @Override
    UserChange change() {
      return new UserChange(null, null, Permission.parseAll(permissions, "grant"), Set.of(), Set.of(), reason);
    }
  }

  @Command(name = "deny", mixinStandardHelpOptions = true,
      description = "Take permissions from a user, whatever their roles give.")
  static final class Deny extends Change {
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "PERMISSION", description = "e.g. transfers:create")
    List<String> permissions;

    @Override
    UserChange change() {
      return new UserChange(null, null, Set.of(), Permission.parseAll(permissions, "deny"), Set.of(), reason);
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a user and their audit trail.")
  static final class Show extends Action {
    @Parameters(index = "0", paramLabel = "ID", description = "The user id.")
    String id;

    @Override
    Future<JsonObject> apply(UserStore store, String actor) {
      return store.find(id).compose(found -> {
        User u = found.orElseThrow(() -> new UserNotFoundException(id));
        return store.events(id).map(events -> show(u, store).put("events",
            new JsonArray(events.stream().map((Function<UserStore.Event, Object>) UserStore.Event::toJson).toList())));
      });
    }
  }
}
