package dev.ledgerline.tracing;

import dev.ledgerline.config.LedgerlineConfig;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.logging.LoggingSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.opentracingshim.OpenTracingShim;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.temporal.common.interceptors.WorkerInterceptor;
import io.temporal.common.interceptors.WorkflowClientInterceptor;
import io.temporal.opentracing.OpenTracingClientInterceptor;
import io.temporal.opentracing.OpenTracingOptions;
import io.temporal.opentracing.OpenTracingWorkerInterceptor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A node's tracing: the OpenTelemetry SDK built from {@code tracing.*} (sampler, exporter, resource), and what hands
 * it to Vert.x (HTTP, WebSocket, event-bus, PostgreSQL, Redis and web-client spans), to Temporal (workflow and
 * activity spans through its OpenTracing interceptors over OpenTelemetry's shim) and to code that opens spans of its
 * own. {@code tracing.exporter: none} builds nothing: no tracer is installed and no span is ever made.
 */
public final class Tracing implements AutoCloseable {
  /** The instrumentation scope of Ledgerline's own spans (ledger batches, saga steps). */
  public static final String SCOPE = "dev.ledgerline";
  /** The span attribute naming the node that made the span, so one trace shows which node did what. */
  public static final String NODE_ATTRIBUTE = "ledgerline.node";
  /** How long closing waits for the last spans to be exported. */
  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);
  /** Exports leave at least this often: short enough for a developer watching a trace UI. */
  private static final Duration EXPORT_DELAY = Duration.ofSeconds(1);

  private static final Tracing OFF = new Tracing(null, "ledgerline");

  private final OpenTelemetrySdk sdk;
  private final String serviceName;

  private Tracing(OpenTelemetrySdk sdk, String serviceName) {
    this.sdk = sdk;
    this.serviceName = serviceName;
  }

  /** No tracing. */
  public static Tracing off() {
    return OFF;
  }

  /** The tracing {@code settings} ask for, with spans marked as made by {@code nodeId}. */
  public static Tracing start(LedgerlineConfig.Tracing settings, String nodeId) {
    if (!settings.enabled()) return OFF;
    return start(settings, nodeId, exporter(settings));
  }

  /** Tracing with an exporter of the caller's (benchmarks, tests). */
  public static Tracing start(LedgerlineConfig.Tracing settings, String nodeId, SpanExporter exporter) {
    AttributesBuilder resource = Attributes.builder().put("service.name", settings.serviceName())
        .put("service.instance.id", nodeId);
    settings.resourceAttributes().forEach(resource::put);
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(resource.build())))
        // A caller's sampling decision (an incoming traceparent) wins; new traces are sampled by ratio.
        .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.samplingRatio())))
        .addSpanProcessor(new NodeAttribute(nodeId))
        .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(EXPORT_DELAY).build())
        .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    return new Tracing(sdk, settings.serviceName());
  }

  private static SpanExporter exporter(LedgerlineConfig.Tracing settings) {
    String endpoint = settings.endpoint();
    return switch (settings.exporter()) {
      case OTLP -> endpoint.isEmpty() ? OtlpHttpSpanExporter.getDefault()
          : OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build();
      case ZIPKIN -> endpoint.isEmpty() ? ZipkinSpanExporter.builder().build()
          : ZipkinSpanExporter.builder().setEndpoint(endpoint).build();
      case LOGGING -> LoggingSpanExporter.create();
      case NONE -> throw new IllegalArgumentException("tracing.exporter none has no exporter");
    };
  }

  public boolean enabled() {
    return sdk != null;
  }

  public String serviceName() {
    return serviceName;
  }

  /** The SDK, or OpenTelemetry's no-op when tracing is off. */
  public OpenTelemetry openTelemetry() {
    return sdk == null ? OpenTelemetry.noop() : sdk;
  }

  /** The tracer of Ledgerline's own spans (a no-op one when tracing is off). */
  public Tracer tracer() {
    return openTelemetry().getTracer(SCOPE);
  }

  /** What Vert.x is built with; null when tracing is off (no tracer at all, so no cost). */
  public VertxTracerFactory vertxTracerFactory() {
    return sdk == null ? null : new OpenTelemetryTracingFactory(sdk);
  }

  /**
   * Lets a message sent from outside Vert.x (a Temporal activity thread) carry the sender's span: Vert.x's tracer
   * finds the parent only in a Vert.x context, so such sends would start no trace of their own and lose the caller's.
   */
  public void propagateOverEventBus(EventBus bus) {
    if (sdk != null) bus.addOutboundInterceptor(new OffContextTraceHeaders(sdk.getPropagators()));
  }

  /** Temporal's client side: a workflow start carries the caller's span in the workflow's headers. */
  public WorkflowClientInterceptor[] temporalClientInterceptors() {
    if (sdk == null) return new WorkflowClientInterceptor[0];
    return new WorkflowClientInterceptor[] {new OpenTracingClientInterceptor(openTracingOptions())};
  }

  /**
   * Temporal's worker side: a span per workflow run and per activity, children of the starter's span, and each
   * activity's span tagged as a saga step ({@link SagaStepTracing}).
   */
  public WorkerInterceptor[] temporalWorkerInterceptors() {
    if (sdk == null) return new WorkerInterceptor[0];
    // The saga steps' tags go on the span OpenTracing's interceptor opened, so it wraps them (it comes last).
    return new WorkerInterceptor[] {new SagaStepTracing(tracer(), serviceName),
        new OpenTracingWorkerInterceptor(openTracingOptions())};
  }

  private OpenTracingOptions openTracingOptions() {
    return OpenTracingOptions.newBuilder().setTracer(OpenTracingShim.createTracerShim(sdk)).build();
  }

  /** Exports what is left and stops the exporter (bounded: a backend that is gone does not hold the node up). */
  @Override
  public void close() {
    if (sdk == null) return;
    CompletableResultCode done = sdk.getSdkTracerProvider().shutdown();
    done.join(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Exports every ended span now (tests and benchmarks that read the backend right away). */
  public void flush() {
    if (sdk == null) return;
    sdk.getSdkTracerProvider().forceFlush().join(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Marks each span with the node that made it. */
  private record NodeAttribute(String nodeId) implements SpanProcessor {
    @Override
    public void onStart(Context parent, ReadWriteSpan span) {
      span.setAttribute(NODE_ATTRIBUTE, nodeId);
    }

    @Override
    public boolean isStartRequired() {
      return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }
  }
}
