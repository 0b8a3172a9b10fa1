package dev.ledgerline.gateway.idempotency;

import dev.ledgerline.gateway.auth.Principal;
import dev.ledgerline.gateway.http.LedgerReplies;
import dev.ledgerline.gateway.http.Problem;
import dev.ledgerline.gateway.http.ProblemHandler;
import dev.ledgerline.gateway.http.Reply;
import dev.ledgerline.gateway.idempotency.LedgerKeys.Entry;
import dev.ledgerline.gateway.idempotency.LedgerKeys.InFlight;
import dev.ledgerline.gateway.idempotency.LedgerKeys.Outcome;
import dev.ledgerline.ledger.model.CreateTransferResult;
import dev.ledgerline.ledger.model.Transfer;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Idempotent}'s semantics for routes that write transfers, with the key in {@link LedgerKeys} (Redis) instead
 * of PostgreSQL and the ledger as the record of what was done: a replay whose transfers were all ok is rendered again
 * from their ids; a retry whose key entry was lost writes the same derived ids again, and the ledger's {@code exists}
 * for every one of them, within the retention, is answered as the replay of the original ok. A duplicate on this node
 * waits on the first in memory; on another node it polls the key's entry and takes a dead holder's claim over at once.
 */
public final class LedgerIdempotent implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerIdempotent.class);
  private static final long POLL_MS = 20;
  /** Polls between two questions to PostgreSQL whether the holder of a claim met in flight is alive. */
  private static final int HOLDER_CHECK_EVERY = 5;

  /** A route that writes transfers: its body, its ids, and the answer it gives when every transfer has one result. */
  public interface Write {
    Future<Reply> run(RoutingContext rc, Principal principal, String key);

    /** The transfer ids this request writes, in request order (parsing the body; may throw for a bad body). */
    Ids ids(RoutingContext rc, Principal principal, String key);

    /** The route's answer when every transfer got {@code result}. */
    Reply uniform(List<UInt128> ids, CreateTransferResult result);

    /** The ledger's result per transfer once the write was answered (null if it did not reach the ledger). */
    List<CreateTransferResult> results(RoutingContext rc);

    /** Reads transfers by id (for the ledger's {@code exists} of a retry whose key entry was lost). */
    Future<List<Transfer>> lookup(List<UInt128> ids);
  }

  /** @param derived whether the gateway derived every id from (route, subject, key, index) */
  public record Ids(List<UInt128> ids, boolean derived) {}

  private final Vertx vertx;
  private final LedgerKeys keys;
  private final IdempotencyStore refusals;
  private final String route;
  private final Write write;

  /**
   * @param refusals where answers the ledger cannot give again (a refusal, a mixed batch) are also kept, durably:
   *     written only for those answers and read only when a retry whose Redis entry was lost finds its ids refused
   *     or taken in the ledger
   */
  public LedgerIdempotent(Vertx vertx, LedgerKeys keys, IdempotencyStore refusals, String route, Write write) {
    this.vertx = vertx;
    this.keys = keys;
    this.refusals = refusals;
    this.route = route;
    this.write = write;
  }

  @Override
  public void handle(RoutingContext rc) {
    String key = rc.request().getHeader(Idempotent.HEADER);
    if (Idempotent.refused(rc, key, true)) {
      return;
    }
    Buffer body = rc.body().buffer() == null ? Buffer.buffer() : rc.body().buffer();
    String hash = HexFormat.of().formatHex(IdempotencyStore.fingerprint(route, body));
    Principal p = Principal.of(rc);
    new Attempt(rc, p, key, LedgerKeys.redisKey(p.subject(), key), hash,
        System.nanoTime() + keys.waitBound().toNanos()).start();
  }

  /** One request's way through its key. */
  private final class Attempt {
    private final RoutingContext rc;
    private final Principal p;
    private final String key;
    private final String rkey;
    private final String hash;
    private final long deadline;
    private final Context context = Vertx.currentContext();
    private InFlight mine;
    private int polls;

    Attempt(RoutingContext rc, Principal p, String key, String rkey, String hash, long deadline) {
      this.rc = rc;
      this.p = p;
      this.key = key;
      this.rkey = rkey;
      this.hash = hash;
      this.deadline = deadline;
    }

    void start() {
      InFlight first = keys.inFlight().get(rkey);
      if (first != null) {
        waitFor(first);
        return;
      }
      InFlight own = new InFlight(route, hash, Promise.promise());
      if (keys.inFlight().putIfAbsent(rkey, own) != null) {
        start();
        return;
      }
      mine = own;
      claim(Entry.claim(route, hash, keys.holderId()));
    }

    /** A duplicate on this node: the first's answer once it has one, without asking Redis. */
    private void waitFor(InFlight first) {
      if (!first.route().equals(route) || !first.hash().equals(hash)) {
        send(mismatch(), false);
        return;
      }
      long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      first.outcome().future().timeout(left, TimeUnit.MILLISECONDS).onComplete(ar -> context.runOnContext(v -> {
        if (ar.failed()) {
          send(inFlightProblem(), false);
        } else if (!ar.result().ran()) {
          send(ar.result().reply(), ar.result().replayed());
        } else if (ar.result().reply().keep()) {
          send(ar.result().reply(), true);
        } else {
          // The first's answer was not final and its key is released: this one runs.
          start();
        }
      }));
    }

    private void claim(Entry claim) {
      keys.claim(rkey, claim).onComplete(ar -> {
        if (ar.failed()) {
          // Nothing ran: the key could not be claimed, so a retry is safe.
          LOG.warn("could not claim an idempotency key in Redis: {}", ar.cause().toString());
          // The SET may have landed after the timeout: a retry must not wait for a claim nobody holds.
          keys.release(rkey, claim);
          finish(Reply.problem(ProblemHandler.standard(503)).notKept().withRetryAfter(1), false, false);
          return;
        }
        Entry seen = ar.result();
        if (seen == null) {
          run(claim, false);
        } else if (seen.released()) {
          takeOver(claim, seen);
        } else if (!seen.sameRequest(route, hash)) {
          finish(mismatch(), false, false);
        } else if (seen.answer() != null) {
          finish(seen.answer(), true, false);
        } else if (seen.done()) {
          replayOk();
        } else {
          elsewhere(claim, seen);
        }
      });
    }

    /** The key is in flight on another process: poll until it is answered, released, or its holder is dead. */
    private void elsewhere(Entry claim, Entry seen) {
      if (System.nanoTime() >= deadline) {
        finish(inFlightProblem(), false, false);
        return;
      }
      Future<Boolean> alive = seen.leaseOver() ? Future.succeededFuture(false)
          : ++polls % HOLDER_CHECK_EVERY == 0 ? keys.holderAlive(seen.holder()).otherwise(true)
          : Future.succeededFuture(true);
      alive.onComplete(a -> {
        if (!a.result()) {
          LOG.info("taking over an idempotency claim whose holder is gone or whose lease ended");
          takeOver(claim, seen);
        } else {
          vertx.setTimer(POLL_MS, x -> claim(claim));
        }
      });
    }

    /** Runs in place of a released claim or a dead holder's; claims again if the entry changed meanwhile. */
    private void takeOver(Entry claim, Entry seen) {
      keys.takeOver(rkey, seen, claim).onComplete(t -> {
        if (t.failed()) {
          finish(Reply.problem(ProblemHandler.standard(503)).notKept().withRetryAfter(1), false, false);
        } else if (t.result()) {
          run(claim, true);
        } else {
          claim(claim);
        }
      });
    }

    /** Every transfer was ok: the answer is a function of the ids. */
    private void replayOk() {
      Reply ok;
      try {
        ok = write.uniform(write.ids(rc, p, key).ids(), CreateTransferResult.OK);
      } catch (RuntimeException e) {
        ok = LedgerReplies.of(e);
      }
      finish(ok, true, false);
    }

    /** @param again the key was used before (released, or taken over): the ledger's exists is not a lost entry */
    private void run(Entry claim, boolean again) {
      Future<Reply> done;
      try {
        done = write.run(rc, p, key).recover(e -> Future.succeededFuture(LedgerReplies.of(e)));
      } catch (RuntimeException e) {
        done = Future.succeededFuture(LedgerReplies.of(e));
      }
      done.compose(reply -> settle(reply, again)).onComplete(ar -> {
        Settled s = ar.succeeded() ? ar.result() : new Settled(LedgerReplies.of(ar.cause()), false, null);
        Future<Void> stored = s.entry() == null ? keys.release(rkey, claim)
            : s.entry() == Settled.FORGET ? keys.forget(rkey, claim)
            : s.entry() == Settled.DONE ? keys.complete(rkey, claim.asDone())
            : Future.join(keys.complete(rkey, claim.answered(s.reply())), s.replayed() || !refused(write.results(rc))
                ? Future.succeededFuture() : keepRefusal(s.reply())).mapEmpty();
        // Stored before it is sent: a client that saw the answer finds it on retry.
        stored.onComplete(c -> {
          if (c.failed()) {
            LOG.warn("could not store the state of an idempotency key in Redis: {}", c.cause().toString());
          }
          finish(s.reply(), s.replayed(), true);
        });
      });
    }

    /**
     * What to answer and keep: every transfer ok is kept as a marker, and any other final answer as it is; an answer
     * that is not final releases the key. A first write of the key whose derived ids the ledger already holds, from
     * transfers created within the retention, is a retry whose key entry was lost (Redis flushed or restarted): every
     * one {@code exists}
     * is the replay of the original ok; none new and one different ({@code exists_with_different_*}) is the key
     * reused with another body (422, the key left to the original).
     */
    private Future<Settled> settle(Reply reply, boolean again) {
      if (!reply.keep()) {
        return Future.succeededFuture(new Settled(reply, false, null));
      }
      Ids ids = write.ids(rc, p, key);
      Reply ok = write.uniform(ids.ids(), CreateTransferResult.OK);
      if (same(reply, ok)) {
        return Future.succeededFuture(new Settled(reply, false, Settled.DONE));
      }
      Settled asItIs = new Settled(reply, false, Settled.ANSWER);
      List<CreateTransferResult> results = write.results(rc);
      if (again || !ids.derived() || results == null || results.isEmpty()) {
        return Future.succeededFuture(asItIs);
      }
      boolean anyTaken = results.stream().anyMatch(LedgerIdempotent::taken);
      boolean allTaken = results.stream().allMatch(LedgerIdempotent::taken);
      if (results.stream().anyMatch(r -> r == CreateTransferResult.ID_ALREADY_FAILED) || anyTaken && !allTaken) {
        // An earlier request with the key was refused, at least in part: its answer is the durable copy's.
        return keptRefusal().map(kept -> kept == null ? asItIs : kept);
      }
      if (!allTaken) {
        return Future.succeededFuture(asItIs);
      }
      boolean replay = results.stream().allMatch(r -> r == CreateTransferResult.EXISTS);
      if (replay && !same(reply, write.uniform(ids.ids(), CreateTransferResult.EXISTS))) {
        // Held by transfers the caller may no longer see: the answer says so, as it would to anyone.
        return Future.succeededFuture(asItIs);
      }
      long since = (System.currentTimeMillis() - keys.retention().toMillis()) * 1_000_000L;
      return write.lookup(ids.ids()).map(found -> {
        if (found.size() != ids.ids().size() || !found.stream().allMatch(t -> t.timestamp() >= since)) {
          return asItIs;
        }
        return replay ? new Settled(ok, true, Settled.DONE) : new Settled(mismatch(), false, Settled.FORGET);
      }).otherwise(asItIs);
    }

    /** Keeps a refusal in PostgreSQL too: Redis may lose it, and the ledger cannot give it again. */
    private Future<Void> keepRefusal(Reply reply) {
      byte[] h = HexFormat.of().parseHex(hash);
      return refusals.begin(p.subject(), key, route, h).compose(c -> c instanceof IdempotencyStore.Claim.Proceed
          ? refusals.complete(p.subject(), key, route, h, reply.status(), reply.contentType(), reply.body())
          : Future.succeededFuture()).otherwise(e -> {
            LOG.warn("could not keep a refused transfer's answer in PostgreSQL: {}", e.toString());
            return null;
          });
    }

    /** The durable copy of an earlier refusal under the key: its replay, 422 for another body, or null for none. */
    private Future<Settled> keptRefusal() {
      byte[] h = HexFormat.of().parseHex(hash);
      return refusals.begin(p.subject(), key, route, h).compose(c -> {
        if (c instanceof IdempotencyStore.Claim.Replay r) {
          return Future.succeededFuture(new Settled(new Reply(r.status(), r.contentType(), r.body(), true, 0), true,
              Settled.ANSWER));
        }
        if (c instanceof IdempotencyStore.Claim.Mismatch) {
          return Future.succeededFuture(new Settled(mismatch(), false, Settled.FORGET));
        }
        return c instanceof IdempotencyStore.Claim.Proceed
            ? refusals.release(p.subject(), key).map((Settled) null) : Future.succeededFuture((Settled) null);
      }).otherwise((Settled) null);
    }

    private void finish(Reply reply, boolean replayed, boolean ran) {
      if (mine != null) {
        keys.inFlight().remove(rkey, mine);
        mine.outcome().complete(new Outcome(reply, replayed, ran));
      }
      send(reply, replayed);
    }

    private void send(Reply reply, boolean replayed) {
      reply.send(rc, replayed);
    }
  }

  /**
   * @param entry null: release the key; {@link #DONE}: keep the ok marker; {@link #ANSWER}: keep the answer;
   *     {@link #FORGET}: delete the claim (the entry was lost and this request is not the key's)
   */
  private record Settled(Reply reply, boolean replayed, Entry entry) {
    static final Entry DONE = Entry.claim("", "", 0);
    static final Entry ANSWER = Entry.claim("", "", 0);
    static final Entry FORGET = Entry.claim("", "", 0);
  }

  /** Whether the ledger refused a transfer of the answer (one it might answer otherwise if asked again). */
  private static boolean refused(List<CreateTransferResult> results) {
    return results != null && results.stream()
        .anyMatch(r -> r != CreateTransferResult.OK && r != CreateTransferResult.EXISTS);
  }

  /** The id is held by a transfer already: the same ({@code exists}) or another. */
  private static boolean taken(CreateTransferResult r) {
    return r == CreateTransferResult.EXISTS || r.name().startsWith("EXISTS_WITH_DIFFERENT_");
  }

  private static boolean same(Reply a, Reply b) {
    return a.status() == b.status() && a.contentType().equals(b.contentType()) && a.body().equals(b.body());
  }

  private static Reply mismatch() {
    return Reply.problem(Problem.of(422, "this Idempotency-Key was already used with a different request")
        .withType(Idempotent.TYPE_KEY_REUSED));
  }

  private static Reply inFlightProblem() {
    return Reply.problem(Problem.of(409, "a request with this Idempotency-Key is still being processed; retry later")
        .withType(Idempotent.TYPE_KEY_IN_FLIGHT)).withRetryAfter(1);
  }
}
