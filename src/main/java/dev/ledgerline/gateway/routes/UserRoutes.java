package dev.ledgerline.gateway.routes;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemException;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.json.FieldError;
import dev.ledgerline.gateway.json.StrictJson;
import dev.ledgerline.users.InvalidUserException;
import dev.ledgerline.users.LastAdminException;
import dev.ledgerline.users.NewUser;
import dev.ledgerline.users.Permission;
import dev.ledgerline.users.User;
import dev.ledgerline.users.UserChange;
import dev.ledgerline.users.UserDirectory;
import dev.ledgerline.users.UserExistsException;
import dev.ledgerline.users.UserNotFoundException;
import dev.ledgerline.users.UserStatus;
import dev.ledgerline.users.UserStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/admin/users...}: create, read, change and list users, and read a user's audit trail. The caller is the
 * actor of every change; each change is published to every node's user cache at once.
 */
public final class UserRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(UserRoutes.class);
  public static final String PATH = "/v1/admin/users";
  public static final String TYPE_LAST_ADMIN = "urn:ledgerline:problem:last-admin";
  public static final String TYPE_INVALID_USER = "urn:ledgerline:problem:invalid-user";
  public static final String TYPE_USER_EXISTS = "urn:ledgerline:problem:user-exists";
  static final int DEFAULT_LIMIT = 50;
  private static final Set<String> LIST_PARAMS = Set.of("status", "permission", "cursor", "limit");

  private final Vertx vertx;
  private final UserDirectory directory;
  private final UserStore store;

  public UserRoutes(Vertx vertx, UserDirectory directory) {
    this.vertx = vertx;
    this.directory = directory;
    this.store = directory.store();
  }

  /** POST: 201 with the user, 409 when the id is taken, 422 for roles or permissions that are not known. */
  public Handler<RoutingContext> create() {
    return answer(rc -> {
      NewUser n = NewUser.fromJson(StrictJson.object(rc.body().buffer().getBytes()));
      return store.create(n.id(), n.status(), n.roles(), n.grants(), n.denies(), Principal.of(rc).subject(),
              n.reason())
          .map(u -> {
            // This node's copy first, so the caller's next request here sees the change; the publish reaches the others.
            directory.accept(u);
            UserDirectory.publish(vertx, u);
            rc.response().putHeader("Location", PATH + "/" + java.net.URLEncoder.encode(u.id(),
                java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
            return Reply.json(201, u.toJson(store.rolePermissions()).toBuffer());
          });
    });
  }

  /** GET one user, with their effective permissions. */
  public Handler<RoutingContext> get() {
    return answer(rc -> {
      String id = rc.pathParam("id");
      return store.find(UserStore.checkId(id)).map(found -> Reply.json(200, found
          .orElseThrow(() -> new UserNotFoundException(id)).toJson(store.rolePermissions()).toBuffer()));
    });
  }

  /** GET a user's audit trail: every change, oldest first, with its actor and reason. */
  public Handler<RoutingContext> events() {
    return answer(rc -> {
      String id = UserStore.checkId(rc.pathParam("id"));
      return store.find(id).compose(found -> {
        found.orElseThrow(() -> new UserNotFoundException(id));
        return store.events(id);
      }).map(events -> Reply.json(200, new JsonObject().put("data", new JsonArray(events.stream()
          .map((Function<UserStore.Event, Object>) UserStore.Event::toJson).toList())).toBuffer()));
    });
  }

  /** PATCH: applies the change as the caller; 422 with nothing changed when it cannot be applied. */
  public Handler<RoutingContext> patch() {
    return answer(rc -> {
      String id = UserStore.checkId(rc.pathParam("id"));
      UserChange change = UserChange.fromJson(StrictJson.object(rc.body().buffer().getBytes()));
      return store.update(id, change, Principal.of(rc).subject()).map(u -> {
        directory.accept(u);
        UserDirectory.publish(vertx, u);
        return Reply.json(200, u.toJson(store.rolePermissions()).toBuffer());
      });
    });
  }

  /** GET the list: {@code status}, {@code permission} (effective), {@code cursor}, {@code limit}. */
  public Handler<RoutingContext> list() {
    return answer(rc -> {
      MultiMap q = rc.queryParams();
      for (String name : q.names()) {
        if (!LIST_PARAMS.contains(name)) {
          throw new InvalidUserException(name, "unknown parameter; the list takes status, permission, cursor, limit");
        }
        if (q.getAll(name).size() > 1) {
          throw new InvalidUserException(name, name + " is given more than once");
        }
      }
      UserStatus status = null;
      if (q.contains("status")) {
        status = UserStatus.fromWire(q.get("status"));
        if (status == null) {
          throw new InvalidUserException("status", "status is one of active, suspended, closed");
        }
      }
      Permission permission = null;
      if (q.contains("permission")) {
        permission = Permission.fromWire(q.get("permission"));
        if (permission == null) {
          throw new InvalidUserException("permission", "unknown permission");
        }
      }
      int limit = DEFAULT_LIMIT;
      if (q.contains("limit")) {
        String l = q.get("limit");
        if (!l.matches("[0-9]{1,3}") || Integer.parseInt(l) < 1 || Integer.parseInt(l) > UserStore.MAX_PAGE) {
          throw new InvalidUserException("limit", "limit is 1 to " + UserStore.MAX_PAGE);
        }
        limit = Integer.parseInt(l);
      }
      return store.list(status, permission, q.get("cursor"), limit).map(page -> {
        JsonArray data = new JsonArray();
        for (User u : page.users()) {
          data.add(u.toJson(store.rolePermissions()));
        }
        JsonObject out = new JsonObject().put("data", data);
        if (page.next() != null) {
          out.put("next_cursor", page.next());
        }
        return Reply.json(200, out.toBuffer());
      });
    });
  }

  private static Handler<RoutingContext> answer(Function<RoutingContext, Future<Reply>> route) {
    return Answers.answer(route, e -> Answers.problem(problem(e)));
  }

  private static Problem problem(Throwable e) {
    if (e instanceof LastAdminException l) {
      return Problem.of(422, l.getMessage()).withType(TYPE_LAST_ADMIN).withTitle("Last admin")
          .withErrors(List.of(new FieldError(l.field(), l.getMessage())));
    }
    if (e instanceof InvalidUserException i) {
      return Problem.of(422, i.getMessage()).withType(TYPE_INVALID_USER).withTitle("Invalid user")
          .withErrors(List.of(new FieldError(i.field().isEmpty() ? FieldError.ROOT : i.field(), i.getMessage())));
    }
    if (e instanceof UserNotFoundException) {
      return Problem.of(404, "no such user");
    }
    if (e instanceof UserExistsException) {
      return Problem.of(409, e.getMessage()).withType(TYPE_USER_EXISTS).withTitle("User exists");
    }
    if (e instanceof ProblemException pe) {
      return pe.problem();
    }
    if (e instanceof dev.ledgerline.gateway.json.InvalidRequestException) {
      return null; // the problem handler answers 400 with its errors
    }
    LOG.warn("user administration failed: {}", e.toString());
    return Problem.of(503, "the user store cannot be reached right now; retry");
  }
}
