// The configuration file, with agent-stack-k8s's option names. One file serves the
// webhook and the dispatcher; unknown keys and wrong types are rejected.
import { z } from "zod";
import { parseDurationSeconds } from "./duration.ts";
import {
  checkoutParams, commandParams, kubeObject, metadataParams, sidecarParams, volume,
} from "./params.ts";
import { DEFAULT_AGENT_IMAGE } from "../names.ts";

/** A Go duration string ("10m", "1h30m"), read as seconds. */
function duration(defaultSeconds: number) {
  return z
    .union([z.string(), z.number().nonnegative()])
    .transform((value, ctx) => {
      const seconds = typeof value === "number" ? value : parseDurationSeconds(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: "custom", message: `invalid duration ${JSON.stringify(value)} (expected e.g. "90s", "10m", "1h30m")` });
        return z.NEVER;
      }
      return seconds;
    })
    .default(defaultSeconds);
}

const pullPolicy = z.enum(["Always", "IfNotPresent", "Never", ""]);
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, "invalid Kubernetes quantity");

const agentConfigSchema = z.strictObject({
  endpoint: z.string().optional(),
  "no-http2": z.boolean().optional(),
  experiment: z.array(z.string()).optional(),
  shell: z.string().optional(),
  "no-color": z.boolean().optional(),
  "strict-single-hooks": z.boolean().optional(),
  "no-multipart-artifact-upload": z.boolean().optional(),
  "trace-context-encoding": z.string().optional(),
  "tracing-backend": z.string().optional(),
  "tracing-service-name": z.string().optional(),
  "tracing-propagate-traceparent": z.boolean().optional(),
  "disable-warnings-for": z.array(z.string()).optional(),
  "debug-signing": z.boolean().optional(),
  "git-skip-fetch-existing-commits": z.boolean().optional(),
  "container-start-timeout": duration(0).optional(),
  "no-pty": z.boolean().optional(),
  "no-command-eval": z.boolean().optional(),
  "no-local-hooks": z.boolean().optional(),
  "no-plugins": z.boolean().optional(),
  "plugin-validation": z.boolean().optional(),
  "signing-jwks-file": z.string().optional(),
  "signing-jwks-key-id": z.string().optional(),
  signingJWKSVolume: volume.optional(),
  "hooks-path": z.string().optional(),
  hooksVolume: volume.optional(),
  "additional-hooks-paths": z.array(z.string()).optional(),
  "additional-hooks": z.array(z.strictObject({ path: z.string().min(1), volume })).optional(),
  "plugins-path": z.string().optional(),
  pluginsVolume: volume.optional(),
  "verification-jwks-file": z.string().optional(),
  "verification-failure-behavior": z.enum(["block", "warn"]).optional(),
  verificationJWKSVolume: volume.optional(),
});

const resourceClassSchema = z.strictObject({
  resource: kubeObject.optional(),
  podResource: kubeObject.optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
});

export const configSchema = z.strictObject({
  // Logging and process
  debug: z.boolean().default(false),
  "log-level": z.enum(["debug", "info", "warn", "error"]).default("info"),
  "log-format": z.enum(["logfmt", "json"]).default("json"),
  "no-color": z.boolean().default(false),
  "log-http-payloads": z.boolean().default(false),
  "prometheus-port": z.int().min(0).max(65535).default(0),
  // Identity and Buildkite
  id: z.string().default(""),
  namespace: z.string().min(1).default("default"),
  "agent-token-secret": z.string().min(1).default("buildkite-agent-token"),
  image: z.string().min(1).default(DEFAULT_AGENT_IMAGE),
  queue: z.string().default(""),
  tags: z.array(z.string().regex(/^[^=]+=.*$/, "expected k=v")).default([]),
  // Dispatcher loop
  "max-in-flight": z.int().min(0).default(25),
  "job-creation-concurrency": z.int().min(1).default(25),
  "work-queue-limit": z.int().min(1).default(1_000_000),
  "poll-interval": duration(1).refine((s) => s >= 1, "must be at least 1s"),
  "http-timeout": duration(60),
  "pagination-page-size": z.int().min(1).max(1000).default(1000),
  "pagination-depth-limit": z.int().min(1).max(20).default(2),
  "query-reset-interval": duration(10),
  "enable-queue-pause": z.boolean().default(true),
  "reservation-expiry-seconds": z.int().min(0).max(3600).default(60),
  "image-pull-backoff-grace-period": duration(30),
  "job-cancel-checker-poll-interval": duration(5),
  "empty-job-grace-period": duration(30),
  "pod-pending-timeout": duration(900),
  "enable-completion-watcher": z.boolean().default(true),
  "k8s-client-rate-limiter-qps": z.number().positive().default(10),
  "k8s-client-rate-limiter-burst": z.int().positive().default(20),
  "prohibit-kubernetes-plugin": z.boolean().default(false),
  // Dispatcher: how long a reserved job may keep failing to become a Kubernetes Job (transient
  // errors, webhook down) before it is finished on Buildkite with the last error.
  "job-creation-timeout": duration(600),
  // Job shape
  "job-prefix": z.string().min(1).default("buildkite-"),
  "job-ttl": duration(600),
  "job-active-deadline-seconds": z.int().positive().default(21600),
  "default-termination-grace-period-seconds": z.int().nonnegative().default(60),
  "default-image-pull-policy": pullPolicy.default(""),
  "default-image-check-pull-policy": pullPolicy.default(""),
  "skip-image-check-containers": z.boolean().default(false),
  "image-check-container-cpu-limit": quantity.default("200m"),
  "image-check-container-memory-limit": quantity.default("128Mi"),
  "allow-pod-spec-patch-unsafe-command-modification": z.boolean().default(false),
  "pod-spec-patch": kubeObject.optional(),
  "workspace-volume": volume.optional(),
  "workspace-mount-sub-path-expr": z.string().default(""),
  "non-root-workspace": z.enum(["chown", "fs-group"]).default("chown"),
  "agent-config": agentConfigSchema.optional(),
  "default-checkout-params": checkoutParams.optional(),
  "default-command-params": commandParams.optional(),
  "default-sidecar-params": sidecarParams.optional(),
  "default-metadata": metadataParams.default({}),
  "additional-redacted-vars": z.array(z.string()).default([]),
  "resource-classes": z.record(z.string(), resourceClassSchema).optional(),
  "default-resource-class-name": z.string().default(""),
});

export type Config = z.output<typeof configSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema>;
export type ResourceClass = z.output<typeof resourceClassSchema>;
