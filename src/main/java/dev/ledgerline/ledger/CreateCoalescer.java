package dev.ledgerline.ledger;

import dev.ledgerline.ledger.LedgerApi.CreateAnswer;
import dev.ledgerline.ledger.LedgerApi.CreateAnswers;
import dev.ledgerline.ledger.LedgerApi.CreateRequests;
import dev.ledgerline.ledger.model.Event;
import dev.ledgerline.ledger.model.EventResult;
import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Gathers the create requests of one operation that one event loop makes within one tick and sends them to the
 * ledger as one {@link CreateRequests} message, then hands each request its own answer: TigerBeetle's clients batch
 * in the same way. A message costs the event bus (and, clustered, the network) far more than the records in it, and
 * closed-loop callers answered together ask again together, so under load each tick's requests travel as one.
 *
 * <p>Only the transport is shared: the ledger queues each request as if it had come alone, so its batching rules,
 * its deadline and its typed failure stay its own; a message with no answer in time makes every request in it
 * outcome-unknown with its own ids. Not thread-safe: one instance per event-loop context, used on it only.
 */
final class CreateCoalescer<E extends Event, R extends EventResult> {
  private final Context context;
  private final Operation<E, R> op;
  private final DeliveryOptions options;
  /** The single-request path, used when a tick holds one request (no bundle to split). */
  private final BiFunction<Operation<E, R>, List<E>, Future<List<R>>> single;
  private List<List<E>> requests = new ArrayList<>();
  private List<Promise<List<R>>> waiting = new ArrayList<>();
  private int events;
  private boolean scheduled;

  CreateCoalescer(Context context, Operation<E, R> op, DeliveryOptions options,
      BiFunction<Operation<E, R>, List<E>, Future<List<R>>> single) {
    this.context = context;
    this.op = op;
    this.options = options;
    this.single = single;
  }

  Future<List<R>> add(List<E> request) {
    if (events + request.size() > LedgerBackend.BATCH_MAX || requests.size() == LedgerBackend.BATCH_MAX) flush();
    Promise<List<R>> promise = Promise.promise();
    requests.add(request);
    waiting.add(promise);
    events += request.size();
    if (!scheduled) {
      scheduled = true;
      // Runs after the work the event loop is doing now (the HTTP requests it has read, the replies it handles).
      context.runOnContext(v -> {
        scheduled = false;
        flush();
      });
    }
    return promise.future();
  }

  private void flush() {
    if (requests.isEmpty()) return;
    List<List<E>> sent = requests;
    List<Promise<List<R>>> promises = waiting;
    requests = new ArrayList<>();
    waiting = new ArrayList<>();
    events = 0;
    if (sent.size() == 1) {
      single.apply(op, sent.get(0)).onComplete(promises.get(0));
      return;
    }
    context.owner().eventBus().<CreateAnswers<R>>request(LedgerApi.CREATE_MANY, new CreateRequests<>(op, sent),
        options).onComplete(ar -> {
          if (ar.failed()) {
            for (int i = 0; i < sent.size(); i++) promises.get(i).fail(failure(ar.cause(), sent.get(i)));
            return;
          }
          List<CreateAnswer<R>> answers = ar.result().body().answers();
          if (answers.size() != sent.size()) {
            LedgerException wrong = new LedgerException(op.address() + ": the ledger answered " + answers.size()
                + " of " + sent.size() + " requests");
            for (Promise<List<R>> p : promises) p.fail(wrong);
            return;
          }
          for (int i = 0; i < sent.size(); i++) {
            CreateAnswer<R> a = answers.get(i);
            if (a.failure() == 0) {
              promises.get(i).complete(a.results());
            } else {
              // The same typed failure the request would have got as a reply failure of its own.
              promises.get(i).fail(failure(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, a.failure(),
                  a.message()), sent.get(i)));
            }
          }
        });
  }

  private Throwable failure(Throwable cause, List<E> request) {
    return LedgerClient.typed(op.address(), cause, () -> ids(request));
  }

  private static List<UInt128> ids(List<? extends Event> events) {
    return events.stream().map(Event::id).toList();
  }
}
