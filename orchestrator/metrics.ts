import { Counter, Gauge, Histogram } from 'prom-client';

export const instancesReceived = new Counter({
  name: 'aifi_orchestrator_instances_received_total',
  help: 'DICOM instances received, by channel and outcome',
  labelNames: ['channel', 'outcome'] as const,
});

export const studiesReceived = new Counter({
  name: 'aifi_orchestrator_studies_received_total',
  help: 'Studies completed (quiet period over), by hospital',
  labelNames: ['hospital'] as const,
});

export const lateInstances = new Counter({
  name: 'aifi_orchestrator_late_instances_total',
  help: 'Instances that arrived after their study had completed (recorded as an amended study.received)',
  labelNames: ['hospital'] as const,
});

export const routingDecisions = new Counter({
  name: 'aifi_orchestrator_routing_decisions_total',
  help: 'Routing decisions, by product and outcome',
  labelNames: ['hospital', 'product', 'outcome'] as const,
});

export const intakeSeconds = new Histogram({
  name: 'aifi_orchestrator_intake_seconds',
  help: 'Time to read, check and register one instance',
  labelNames: ['channel'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});

export const routingSeconds = new Histogram({
  name: 'aifi_orchestrator_routing_seconds',
  help: 'Time to pseudonymise, route and emit the events of a completed study',
  buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
});

export const openStudies = new Gauge({
  name: 'aifi_orchestrator_open_studies',
  help: 'Studies still collecting instances',
});

export const eventsEmitted = new Counter({
  name: 'aifi_orchestrator_events_emitted_total',
  help: 'Events handed to the sink and accepted',
  labelNames: ['type'] as const,
});

export const emitFailures = new Counter({
  name: 'aifi_orchestrator_emit_failures_total',
  help: 'Failed attempts to hand events to the sink, and give-ups (final="true")',
  labelNames: ['sink', 'final'] as const,
});

export const emitPending = new Gauge({
  name: 'aifi_orchestrator_emit_pending_events',
  help: 'Events waiting for the sink to accept them',
});

export const inferenceAttempts = new Counter({
  name: 'aifi_orchestrator_inference_attempts_total',
  help: 'Inference attempts, by product and outcome (completed, or the error class)',
  labelNames: ['product', 'outcome'] as const,
});

export const inferenceSeconds = new Histogram({
  name: 'aifi_orchestrator_inference_seconds',
  help: 'Time of successful inference calls, by product',
  labelNames: ['product'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
});

export const jobsInFlight = new Gauge({
  name: 'aifi_orchestrator_inference_jobs_in_flight',
  help: 'Inference jobs running, by product',
  labelNames: ['product'] as const,
});

export const deliveries = new Counter({
  name: 'aifi_orchestrator_result_deliveries_total',
  help: 'Results delivered to the PACS, by product and outcome (acknowledged, failed, off)',
  labelNames: ['product', 'outcome'] as const,
});

export const reportsReceived = new Counter({
  name: 'aifi_orchestrator_reports_received_total',
  help: 'Radiology reports from the RIS, by channel (hl7, fhir) and answer (AA, AE, AR; stored, invalid, unavailable)',
  labelNames: ['channel', 'outcome'] as const,
});
