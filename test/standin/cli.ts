#!/usr/bin/env node
// Runs the Agent API stand-in (stacks and agent endpoints) as a process and enqueues
// jobs from a YAML file:
//   node test/standin/cli.ts --port 8080 --token bkct_dev --steps test/standin/example-steps.yaml
// Point the dispatcher's and the agent's endpoint at the printed URL. Test controls:
// /_standin (see README.md). `cli.ts log|record|jobs|agents …` inspects a running one.
import { Command, InvalidArgumentError } from "commander";
import { runInspect } from "./cli-inspect.ts";
import { startStandin } from "./server.ts";
import { loadStepsFile } from "./steps-file.ts";

const INSPECT_COMMANDS = ["log", "record", "jobs", "agents"];
const first = process.argv[2];
if (first !== undefined && INSPECT_COMMANDS.includes(first)) {
  try {
    await runInspect(process.argv.slice(2));
    process.exit(0);
  } catch (err) {
    // commander has already printed its own usage errors.
    if (!(err instanceof Error && "code" in err)) console.error(`standin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

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
  .description("Local stand-in for Buildkite's Agent REST API (stacks and agent endpoints); `log|record|jobs|agents --help` inspect a running one")
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

console.log(`Agent API stand-in listening: ${standin.url}`);
// A generated token is printed because the caller has no other way to learn it; one given
// with --token is not, so that it appears in no log.
console.log(opts.token === undefined ? `token: ${standin.token}` : "agent token: as given with --token");
console.log(`test controls: ${standin.origin}/_standin/{jobs,calls,stacks,agents,builds}`);
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
