package dev.ledgerline.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import java.util.Map;

/**
 * Tags each activity's span as a saga step: {@code service}, {@code workflow}, {@code saga.step} and
 * {@code outcome} ({@code success} or {@code error}), with an event naming what the step does
 * ({@code validating-payment}, {@code processing-payment}, {@code updating-ledger}). The span is the one Temporal's
 * OpenTracing interceptor opened around the activity; without one (an activity started by an untraced workflow) the
 * step gets a span of its own, so a step is never left out of a trace.
 */
final class SagaStepTracing extends WorkerInterceptorBase {
  public static final String VALIDATING = "validating-payment";
  public static final String PROCESSING = "processing-payment";
  public static final String UPDATING_LEDGER = "updating-ledger";

  /** Activity type → the event its span carries. */
  private static final Map<String, String> EVENTS = Map.ofEntries(
      Map.entry("load-payment", VALIDATING),
      Map.entry("process-external", PROCESSING),
      Map.entry("get-external", PROCESSING),
      Map.entry("cancel-external", PROCESSING),
      Map.entry("reserve-funds", UPDATING_LEDGER),
      Map.entry("create-pending", UPDATING_LEDGER),
      Map.entry("commit-transfer", UPDATING_LEDGER),
      Map.entry("void-reserve", UPDATING_LEDGER),
      Map.entry("void-pending", UPDATING_LEDGER),
      Map.entry("reverse-commit", UPDATING_LEDGER));

  private final Tracer tracer;
  private final String service;

  SagaStepTracing(Tracer tracer, String service) {
    this.tracer = tracer;
    this.service = service;
  }

  @Override
  public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
    return new ActivityInboundCallsInterceptorBase(next) {
      private ActivityInfo info;

      @Override
      public void init(ActivityExecutionContext context) {
        info = context.getInfo();
        super.init(context);
      }

      @Override
      public ActivityOutput execute(ActivityInput input) {
        Span current = Span.current();
        boolean own = !current.isRecording();
        Span span = own ? tracer.spanBuilder(info.getActivityType()).startSpan() : current;
        try (Scope ignored = own ? span.makeCurrent() : Scope.noop()) {
          span.setAttribute("service", service);
          span.setAttribute("workflow", info.getWorkflowType());
          span.setAttribute("saga.step", info.getActivityType());
          String event = EVENTS.get(info.getActivityType());
          if (event != null) span.addEvent(event);
          ActivityOutput out = super.execute(input);
          span.setAttribute("outcome", "success");
          return out;
        } catch (RuntimeException | Error e) {
          span.setAttribute("outcome", "error");
          span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
          throw e;
        } finally {
          if (own) span.end();
        }
      }
    };
  }
}
