// The 35-point checklist of a correct agent pod (agent-kubernetes-mode §6) as a function that
// lists every violation, so tests can assert it over golden and generated Jobs alike.
import type { Container, Job } from "../../webhook/core/k8s.ts";
import { containerEnv } from "./kubelet-env.ts";

const TINI = ["/workspace/tini-static"];
const BOOTSTRAP = ["--", "/workspace/buildkite-agent", "kubernetes-bootstrap"];

function env(c: Container, name: string): string | undefined {
  const entries = (c.env ?? []).filter((e) => e.name === name);
  return entries.length === 1 ? entries[0]?.value : undefined;
}
const same = (a: readonly unknown[] | undefined, b: readonly unknown[]) => JSON.stringify(a ?? []) === JSON.stringify(b);

export interface ChecklistInput {
  /** The bare Job's containers, as given (for items 25, 28, 30, 31). */
  inputContainers: Container[];
  /** BUILDKITE_COMMAND expected per input container index, as the container's shell sees it. */
  expectedCommands?: (string | undefined)[];
  checkout: boolean;
}

export function checklistViolations(job: Job, input: ChecklistInput): string[] {
  const v: string[] = [];
  const spec = job.spec.template.spec;
  const uuid = job.metadata.labels?.["buildkite.com/job-uuid"];
  const inits = spec.initContainers ?? [];
  const all = [...inits, ...spec.containers];
  const agent = spec.containers.find((c) => c.name === "agent");
  const checkout = spec.containers.find((c) => c.name === "checkout");
  const C = input.checkout ? 1 : 0;
  const commands = spec.containers.filter((c) => c !== agent && c !== checkout);

  // Pod / Job
  if (spec.restartPolicy !== "Never" || job.spec.backoffLimit !== 0) v.push("1: restartPolicy Never and backoffLimit 0");
  if (job.spec.template.metadata?.labels?.["buildkite.com/job-uuid"] !== uuid) v.push("2: pod label job-uuid");
  if (!agent || env(agent, "BUILDKITE_AGENT_ACQUIRE_JOB") !== uuid) v.push("2: agent BUILDKITE_AGENT_ACQUIRE_JOB equals the uuid");
  const workspace = (spec.volumes ?? []).filter((vol) => vol.name === "workspace");
  if (workspace.length !== 1) v.push("3: exactly one workspace volume");
  const runners = [...inits.filter((c) => c.name === "copy-agent" || c.name.startsWith("imagecheck-")), ...spec.containers.filter((c) => c === agent || c === checkout || commands.includes(c))];
  for (const c of runners) {
    if (!(c.volumeMounts ?? []).some((m) => m.mountPath === "/workspace" && m.name === "workspace")) v.push(`3: ${c.name} mounts the workspace at /workspace`);
  }
  const tgps = spec.terminationGracePeriodSeconds;
  if (typeof tgps !== "number") v.push("4: terminationGracePeriodSeconds set");
  else if (agent) {
    if (env(agent, "BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS") !== String(Math.max(0, tgps - 10))) v.push("4: signal grace");
    if (env(agent, "BUILDKITE_CANCEL_GRACE_PERIOD") !== String(Math.max(tgps, 1))) v.push("4: cancel grace");
  }
  const names = all.map((c) => c.name);
  if (new Set(names).size !== names.length) v.push("5: container names unique");
  for (const c of input.inputContainers) {
    if (["agent", "checkout", "copy-agent"].includes(c.name) || c.name?.startsWith("imagecheck-")) v.push(`5: user container named ${c.name}`);
  }
  // copy-agent
  const copy = inits[0];
  if (copy?.name !== "copy-agent") v.push("6: copy-agent first");
  else {
    const script = copy.args?.[1] ?? "";
    if (!same(copy.command, ["/bin/sh"]) || copy.args?.[0] !== "-cefx") v.push("7: copy-agent command");
    for (const needle of ["cp /usr/local/bin/buildkite-agent /workspace", "/workspace/tini-static", "/workspace/build", "/workspace/plugins", "/workspace/sockets", "chmod 777"]) {
      if (!script.includes(needle)) v.push(`7: copy-agent script has ${needle}`);
    }
    const uid = spec.securityContext?.runAsUser;
    const chowns = script.includes("chown -R");
    if (typeof uid === "number" && uid !== 0 && spec.securityContext?.fsGroup === undefined) {
      if (!chowns || copy.securityContext?.runAsUser !== 0 || copy.securityContext?.runAsNonRoot !== false) v.push("8: copy-agent chowns as root for a non-root pod");
    } else if (chowns && spec.securityContext?.fsGroup === undefined) v.push("8: no chown for a root pod");
  }
  // agent
  if (spec.containers.filter((c) => c.name === "agent").length !== 1) v.push("11: exactly one agent");
  if (agent) {
    if (!same(agent.args, ["start"]) || agent.command !== undefined || agent.workingDir !== "/workspace") v.push("11: agent args/command/workingDir");
    if (env(agent, "BUILDKITE_KUBERNETES_EXEC") !== "true") v.push("12: BUILDKITE_KUBERNETES_EXEC");
    if (env(agent, "BUILDKITE_CONTAINER_COUNT") !== String(commands.length + C) || commands.length + C < 1) v.push("13: BUILDKITE_CONTAINER_COUNT");
    const token = (agent.env ?? []).find((e) => e.name === "BUILDKITE_AGENT_TOKEN");
    if (!token || token.value !== undefined || !(token.valueFrom as { secretKeyRef?: unknown } | undefined)?.secretKeyRef) v.push("14: token via secretKeyRef");
    if (env(agent, "BUILDKITE_BUILD_PATH") !== "/workspace/build" || env(agent, "BUILDKITE_SOCKETS_PATH") !== "/workspace/sockets/agent") v.push("15: agent paths");
    if (!env(agent, "BUILDKITE_SHELL")) v.push("16: BUILDKITE_SHELL");
    if (env(agent, "BUILDKITE_AGENT_TAGS") === undefined) v.push("17: BUILDKITE_AGENT_TAGS");
    for (const name of ["BUILDKITE_K8S_NODE", "BUILDKITE_K8S_NAMESPACE", "BUILDKITE_K8S_SERVICE_ACCOUNT"]) {
      if (!(agent.env ?? []).some((e) => e.name === name && (e.valueFrom as { fieldRef?: unknown } | undefined)?.fieldRef)) v.push(`18: ${name} fieldRef`);
    }
    if (!env(agent, "BUILDKITE_REDACTED_VARS")) v.push("18: BUILDKITE_REDACTED_VARS");
  }
  if (all.some((c) => (c.env ?? []).some((e) => e.name === "BUILDKITE_JOB_CONTEXT_DIR"))) v.push("19: BUILDKITE_JOB_CONTEXT_DIR unset");
  // checkout
  if (input.checkout) {
    if (!checkout) v.push("20: checkout present");
    else {
      if (!same(checkout.command, ["/bin/sh", "-c"]) || !checkout.args?.[0]?.endsWith("buildkite-agent-entrypoint kubernetes-bootstrap") && !checkout.args?.[0]?.endsWith('kubernetes-bootstrap"')) v.push("20: checkout command");
      if (env(checkout, "BUILDKITE_BOOTSTRAP_PHASES") !== "plugin,checkout" || env(checkout, "BUILDKITE_CONTAINER_ID") !== "0" || env(checkout, "BUILDKITE_SOCKETS_PATH") !== "/workspace/sockets/checkout") v.push("21: checkout env");
    }
  } else if (checkout) v.push("23: no checkout when skipped");
  // command containers
  const ids: number[] = [];
  input.inputContainers.forEach((original, i) => {
    const name = original.name || `container-${i}`;
    const c = commands.find((x) => x.name === name);
    if (!c) return void v.push(`30: command container ${name} present`);
    if (!same(c.command, TINI) || !same(c.args, BOOTSTRAP)) v.push(`24: ${name} runs the bootstrap`);
    // One literal BUILDKITE_COMMAND, possibly empty (a step of plugins only), compared as the
    // shell will see it, after the kubelet's expansion.
    const entries = (c.env ?? []).filter((e) => e.name === "BUILDKITE_COMMAND");
    if (entries.length !== 1 || entries[0]?.valueFrom !== undefined) v.push(`25: ${name} has one literal BUILDKITE_COMMAND`);
    const command = containerEnv(c).get("BUILDKITE_COMMAND");
    const expected = input.expectedCommands?.[i];
    if (expected !== undefined && command !== expected) v.push(`25: ${name} BUILDKITE_COMMAND ${JSON.stringify(command)} != ${JSON.stringify(expected)}`);
    if (env(c, "BUILDKITE_BOOTSTRAP_PHASES") !== "plugin,command") v.push(`27: ${name} phases`);
    const id = env(c, "BUILDKITE_CONTAINER_ID");
    if (id !== String(i + C)) v.push(`28: ${name} id ${id} != ${i + C}`);
    ids.push(Number(id));
    if (env(c, "BUILDKITE_SOCKETS_PATH") !== `/workspace/sockets/${name}`) v.push(`29: ${name} sockets path`);
    if (c.workingDir !== (original.workingDir || "/workspace")) v.push(`30: ${name} workingDir`);
    if (c.image !== original.image && original.image !== undefined && !job.metadata.annotations?.["buildkite.com/step-image"]) v.push(`31: ${name} image unchanged`);
    for (const m of original.volumeMounts ?? []) {
      if (!(c.volumeMounts ?? []).some((x) => x.mountPath === m.mountPath)) v.push(`31: ${name} keeps mount ${m.mountPath}`);
    }
  });
  const allIds = [...ids, ...(input.checkout ? [0] : [])].sort((a, b) => a - b);
  if (allIds.some((id, i) => id !== i)) v.push(`28: ids ${allIds.join(",")} are 0..N-1`);
  for (const c of all) {
    const envNames = (c.env ?? []).map((e) => e.name);
    if (new Set(envNames).size !== envNames.length) v.push(`32: ${c.name} env names unique`);
    const paths = (c.volumeMounts ?? []).map((m) => m.mountPath);
    if (new Set(paths).size !== paths.length) v.push(`32: ${c.name} mountPaths unique`);
  }
  // sidecars / unmanaged
  for (const s of inits.filter((c) => c.restartPolicy === "Always")) {
    if ((s.env ?? []).some((e) => e.name === "BUILDKITE_CONTAINER_ID")) v.push(`33: sidecar ${s.name} is not a client`);
  }
  return v;
}
