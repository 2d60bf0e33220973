#!/usr/bin/env node
// Runs the stacks-API stand-in as a process and enqueues jobs from a YAML file:
//   node test/standin/cli.ts --port 8080 --token bkct_dev --steps test/standin/example-steps.yaml
// Point the dispatcher's endpoint at the printed URL. Test controls: /_standin (see README.md).
import { Command, InvalidArgumentError } from "commander";
import { startStandin } from "./server.ts";
import { loadStepsFile } from "./steps-file.ts";

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("must be between 0 and 1");
  return n;
}

const program = new Command()
  .name("standin")
  .description("Local stand-in for Buildkite's Agent REST stacks API")
  .option("--port <n>", "port to listen on (0 = any free port)", integer, 8080)
  .option("--host <addr>", "address to listen on", "127.0.0.1")
  .option("--token <token>", "cluster agent token to accept (default: a random bkct_ token)")
  .option("--steps <file>", "YAML file of steps to enqueue as one build")
  .option("--default-queue <key>", "key of the cluster's default queue", "default")
  .option("--org <slug>", "organization slug", "standin-org")
  .option("--no-rate-limits", "turn off the documented per-endpoint rate limits")
  .option("--error-rate <p>", "probability of an injected 5xx", probability)
  .option("--drop-rate <p>", "probability of a dropped connection", probability)
  .option("--latency-ms <n>", "added latency per request", integer)
  .option("--seed <n>", "seed for injected faults", integer, 1)
  .parse();

const opts = program.opts<{
  port: number; host: string; token?: string; steps?: string; defaultQueue: string; org: string;
  rateLimits: boolean; errorRate?: number; dropRate?: number; latencyMs?: number; seed: number;
}>();

const faulty = opts.errorRate !== undefined || opts.dropRate !== undefined || opts.latencyMs !== undefined;
const standin = await startStandin({
  port: opts.port,
  host: opts.host,
  ...(opts.token === undefined ? {} : { token: opts.token }),
  defaultQueueKey: opts.defaultQueue,
  organizationSlug: opts.org,
  rateLimits: opts.rateLimits ? {} : false,
  ...(faulty ? { faults: { seed: opts.seed, errorRate: opts.errorRate, dropRate: opts.dropRate, latencyMs: opts.latencyMs } } : {}),
});

console.log(`stacks API stand-in listening: ${standin.url}`);
console.log(`token: ${standin.token}`);
console.log(`test controls: ${standin.origin}/_standin/{jobs,calls,stacks,builds}`);
if (opts.steps) {
  const { build, steps } = await loadStepsFile(opts.steps);
  const ids = standin.enqueueBuild(steps, build);
  for (const [i, id] of ids.entries()) {
    const job = standin.job(id);
    console.log(`enqueued ${id}  queue=${job?.queueKey}  ${steps[i]?.label ?? steps[i]?.key ?? ""}`);
  }
}

const shutdown = () => void standin.stop().then(() => process.exit(0));
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
