// The whole system on the real node: the stand-in (stacks and Agent API) and a git server on the
// node's host address, the webhook and the dispatcher, the agent token Secret, and a config whose
// images are the node's local ones. A step scheduled on the stand-in then runs in a real pod under
// the real buildkite-agent, and the test reads the Buildkite record it left.
import type { V1Pod } from "@kubernetes/client-node";
import { NODE_TOLERATION, type NodeState } from "../../cluster/harness.ts";
import { freePorts } from "../../cluster/net.ts";
import { sharedCluster } from "../../cluster/harness.ts";
import type { JobRecord } from "../../standin/job-record.ts";
import type { BuildSpec, StepSpec } from "../../standin/types.ts";
import { DispatcherEnv, QUEUE } from "../dispatcher/env.ts";
import { LogCapture } from "./log-capture.ts";

export const TOKEN_SECRET = "buildkite-agent-token";
/** The default config's `pod-spec-patch`: pods tolerate the test node's taint and stop fast. */
export const BASE_POD_SPEC_PATCH = { tolerations: [NODE_TOLERATION], terminationGracePeriodSeconds: 5 };

export interface JobsEnvOptions {
  /** Config keys over the defaults below (deep keys are replaced whole). */
  config?: Record<string, unknown>;
  /** Skip creating the agent token Secret (the missing-Secret case). */
  noTokenSecret?: boolean;
  /** `agent-config` keys over `{ endpoint }` (the stand-in's URL, which the test cannot know yet). */
  agentConfig?: Record<string, unknown>;
  /** Keep every line the webhook and the dispatcher log (`logs`), at trace level. */
  captureLogs?: boolean;
}

export class JobsEnv {
  readonly env: DispatcherEnv;
  readonly node: NodeState;
  /** What the webhook and the dispatcher logged, when created with `captureLogs`. */
  readonly logs: LogCapture | undefined;

  private constructor(env: DispatcherEnv, node: NodeState, logs: LogCapture | undefined) {
    this.env = env;
    this.node = node;
    this.logs = logs;
  }

  static async create(opts: JobsEnvOptions = {}): Promise<JobsEnv> {
    const cluster = await sharedCluster();
    const node = cluster.node;
    if (!node) throw new Error("these tests need the test cluster's node");
    const [port] = await freePorts(1);
    const endpoint = `http://${node.hostIp}:${String(port)}/v3`;
    const logs = opts.captureLogs ? new LogCapture() : undefined;
    const env = await DispatcherEnv.create({
      ...(logs ? { logger: logs.logger } : {}),
      standin: { host: node.hostIp, port: port ?? 0, agent: { jobStatusIntervalSeconds: 1 } },
      config: {
        image: node.images.agent.name,
        "default-image-pull-policy": "IfNotPresent",
        "default-image-check-pull-policy": "IfNotPresent",
        "pod-spec-patch": BASE_POD_SPEC_PATCH,
        "agent-config": { endpoint, ...opts.agentConfig },
        "job-ttl": "10m",
        ...opts.config,
      },
    });
    if (!opts.noTokenSecret) {
      await cluster.kubectl(["create", "secret", "generic", TOKEN_SECRET, "-n", env.namespace, `--from-literal=BUILDKITE_AGENT_TOKEN=${env.standin.token}`], { check: true });
    }
    return new JobsEnv(env, node, logs);
  }

  get busybox(): string {
    return this.node.images.busybox.name;
  }

  /** The agent image: bash, git and buildkite-agent on the PATH. */
  get agentImage(): string {
    return this.node.images.agent.name;
  }

  /** Schedule one step on the test queue (checkout skipped unless the step says otherwise). */
  schedule(step: StepSpec, build?: BuildSpec): string {
    return this.env.standin.enqueue({ agents: { queue: QUEUE }, ...step }, build);
  }

  scheduleBuild(steps: StepSpec[], build?: BuildSpec): string[] {
    return this.env.standin.enqueueBuild(steps.map((s) => ({ agents: { queue: QUEUE }, ...s })), build);
  }

  /** The Buildkite record once the job ended (finished or canceled). */
  finished(uuid: string, timeoutMs = 120_000): Promise<JobRecord> {
    return this.env.standin.waitForJob(uuid, (r) => r.state === "finished" || r.state === "canceled", timeoutMs);
  }

  log(uuid: string): string {
    return this.env.standin.jobLogPlain(uuid);
  }

  async pods(uuid: string): Promise<V1Pod[]> {
    const res = await this.env.kube.core.listNamespacedPod({ namespace: this.env.namespace, labelSelector: `buildkite.com/job-uuid=${uuid}` });
    return res.items;
  }

  cleanup(): Promise<void> {
    return this.env.cleanup();
  }
}

/** A skip-checkout step running `command` in the user image. */
export function commandStep(command: string, image: string, extra: StepSpec = {}): StepSpec {
  return { command, image, plugins: [{ kubernetes: { checkout: { skip: true } } }], ...extra };
}
