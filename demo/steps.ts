// The demo's Buildkite build: steps that pass and fail, two containers sharing /workspace, a sidecar,
// a checkout of the demo repository from the local git server, and one that skips checkout. Images
// are the node's local ones (no registry is reachable).
import type { GitServer } from "../test/support/git-server.ts";
import type { BuildSpec, StepSpec } from "../test/standin/types.ts";

export interface DemoStep {
  step: StepSpec;
  /** What Buildkite should end with: the demo fails if a job ends otherwise. */
  expect: "passed" | "failed";
}

export const QUEUE = "kubernetes";
const skipCheckout = { checkout: { skip: true } };

export async function demoBuild(git: GitServer, busybox: string): Promise<{ build: BuildSpec; steps: DemoStep[] }> {
  const repo = await git.createRepo("demo-app");
  const commit = await repo.commit("A demo repository", { "README.md": "agentify demo app\n", "greet.sh": 'echo "Hello from agentify, in $(pwd)"\n' });
  return { build: { pipeline: "agentify-demo", repo: repo.url, branch: "main", commit, message: "A demo repository" }, steps: demoSteps(busybox) };
}

function demoSteps(busybox: string): DemoStep[] {
  const agents = { queue: QUEUE };
  return [
    { expect: "passed", step: { label: ":wave: hello (checks out the demo repo)", key: "hello", agents, image: busybox, command: "sh greet.sh && cat README.md" } },
    { expect: "failed", step: { label: ":x: a failing step", key: "fail", agents, image: busybox, command: 'echo "this step fails on purpose"; exit 1', plugins: [{ kubernetes: skipCheckout }] } },
    {
      expect: "passed",
      step: {
        label: ":package: two containers sharing /workspace", key: "two-containers", agents,
        plugins: [{ kubernetes: { ...skipCheckout, podSpec: { containers: [
          { image: busybox, command: ['echo "built in the first container" > /workspace/artifact.txt'] },
          { image: busybox, command: ['echo "second container read: $(cat /workspace/artifact.txt)"'] },
        ] } } }],
      },
    },
    {
      expect: "passed",
      step: {
        label: ":whale: with a sidecar", key: "sidecar", agents, image: busybox,
        command: 'until wget -q -O - http://127.0.0.1:8080/status; do sleep 1; done',
        plugins: [{ kubernetes: { ...skipCheckout, sidecars: [{ image: busybox, command: ["sh", "-c", "mkdir -p /tmp/www && echo 'sidecar is up' > /tmp/www/status && exec httpd -f -p 8080 -h /tmp/www"] }] } }],
      },
    },
    { expect: "passed", step: { label: ":no_entry_sign: skip checkout", key: "skip-checkout", agents, image: busybox, command: 'echo "no checkout needed"', plugins: [{ kubernetes: skipCheckout }] } },
  ];
}
