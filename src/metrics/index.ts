import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Every Prometheus metric the service exports, on one registry (no global state, so
 * tests and several app instances in one process do not collide). The README lists them.
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "packit_" });
  const registers = [registry];
  return {
    registry,
    taskDuration: new Histogram({
      name: "packit_task_duration_seconds",
      help: "Time a task ran, by task name and outcome",
      labelNames: ["task", "outcome"] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    taskWait: new Histogram({
      name: "packit_task_wait_seconds",
      help: "Time from a task being due to its start, by queue",
      labelNames: ["queue"] as const,
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
    queueDepth: new Gauge({
      name: "packit_queue_tasks",
      help: "Tasks in the queue by queue and status (sampled at scrape)",
      labelNames: ["queue", "status"] as const,
      registers,
    }),
    events: new Counter({
      name: "packit_webhook_events_total",
      help: "Webhook deliveries by event and outcome (handled, ignored, duplicate, no_config, invalid_config, error)",
      labelNames: ["event", "outcome"] as const,
      registers,
    }),
    noConfigEvents: new Counter({
      name: "packit_events_without_config_total",
      help: "Events from repositories without a Packit config; divide by packit_config_checked_events_total for the rate",
      registers,
    }),
    configCheckedEvents: new Counter({
      name: "packit_config_checked_events_total",
      help: "Events for which the config had to be known (push, pull_request, release)",
      registers,
    }),
    configLookups: new Counter({
      name: "packit_config_lookups_total",
      help: "Config lookups by source (cache or github) and result (present, absent, invalid, unknown)",
      labelNames: ["source", "result"] as const,
      registers,
    }),
    cancellations: new Counter({
      name: "packit_cancellations_total",
      help: "Cancelled jobs by backend, result code (0 cancelled, 1 already finished, 2 backend cannot cancel, 3 error, local) and entry point",
      labelNames: ["backend", "code", "source"] as const,
      registers,
    }),
    installationsWaiting: new Gauge({
      name: "packit_installations_waiting",
      help: "Installations that run no job until an operator approves them (sampled at scrape)",
      registers,
    }),
    commands: new Counter({
      name: "packit_commands_total",
      help: "/packit commands by command word and outcome (refused, throttled, queued, started, approved, nothing, failed, answered)",
      labelNames: ["command", "outcome"] as const,
      registers,
    }),
    supersededPipelines: new Counter({
      name: "packit_superseded_pipelines_total",
      help: "Pipelines whose unfinished jobs were cancelled because a newer head arrived",
      registers,
    }),
    githubRequests: new Counter({
      name: "packit_github_requests_total",
      help: "GitHub API requests by route group and status",
      labelNames: ["route", "status"] as const,
      registers,
    }),
    githubRateLimitRemaining: new Gauge({
      name: "packit_github_rate_limit_remaining",
      help: "x-ratelimit-remaining of the last GitHub answer, by installation",
      labelNames: ["installation"] as const,
      registers,
    }),
    githubLimitWaits: new Counter({
      name: "packit_github_rate_limit_waits_total",
      help: "Times a GitHub rate limit made us wait, by kind (primary, secondary)",
      labelNames: ["kind"] as const,
      registers,
    }),
    checkBatchSize: new Histogram({
      name: "packit_check_run_batch_size",
      help: "Check-run writes per GitHub request",
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers,
    }),
    jobTransitions: new Counter({
      name: "packit_job_transitions_total",
      help: "Job state changes by backend and new state",
      labelNames: ["backend", "state"] as const,
      registers,
    }),
    builderTimeSaved: new Counter({
      name: "packit_builder_time_saved_seconds_total",
      help: "Backend time cancelled jobs did not use, estimated from the same check's recent runs in the same project, by backend and project",
      labelNames: ["backend", "project"] as const,
      registers,
    }),
    maintenanceDecisions: new Counter({
      name: "packit_maintenance_decisions_total",
      help: "Maintenance sweep decisions by action (kept, reported, suspended, uninstalled, skipped)",
      labelNames: ["action"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
