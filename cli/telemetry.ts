import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

/**
 * Starts OpenTelemetry tracing before the rest of the program loads. Spans are
 * always made (their trace ids go into the events); they are exported over
 * OTLP/HTTP only when OTEL_EXPORTER_OTLP_ENDPOINT is set. OTEL_SDK_DISABLED=true
 * turns tracing off. Returns the shutdown to run on exit.
 */
export function startTelemetry(serviceName = 'aifi-observe'): () => Promise<void> {
  if (process.env.OTEL_SDK_DISABLED === 'true') return async () => {};
  const exporting = Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  process.env.OTEL_SERVICE_NAME ??= serviceName;
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // Without an exporter a processor that keeps nothing still gives spans real, sampled trace ids.
  const keepNothing = { onStart() {}, onEnd() {}, shutdown: async () => {}, forceFlush: async () => {} };
  const sdk = new NodeSDK(exporting ? { traceExporter: new OTLPTraceExporter() } : { spanProcessors: [keepNothing] });
  sdk.start();
  let done: Promise<void> | null = null;
  return () => (done ??= sdk.shutdown().catch(() => {}));
}
