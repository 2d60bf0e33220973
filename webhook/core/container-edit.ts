// Small, explicit edits of containers: env by name, mounts by mountPath.
import type { Container, EnvFromSource, EnvVar, VolumeMount } from "./k8s.ts";
import { cloneJson } from "./json.ts";

/**
 * `text` written so that the kubelet passes it on as it is: the kubelet reads `$$` as `$` and
 * replaces `$(NAME)` with an earlier env var's value in env values, command and args.
 */
export function kubeletLiteral(text: string): string {
  return text.includes("$") ? text.replaceAll("$", () => "$$") : text;
}

/** Sets an env var: replaces the first entry of that name in place, or appends. */
function setEnv(container: Container, entry: EnvVar): void {
  const env = (container.env ??= []);
  const at = env.findIndex((e) => e.name === entry.name);
  if (at >= 0) env[at] = entry;
  else env.push(entry);
}

/** Sets env `name` so that the container sees exactly `value`. */
export function setEnvValue(container: Container, name: string, value: string): void {
  setEnv(container, { name, value: kubeletLiteral(value) });
}

export function removeEnv(container: Container, names: ReadonlySet<string>): void {
  if (container.env) container.env = container.env.filter((e) => !names.has(e.name));
}

export function envValue(container: Container, name: string): string | undefined {
  const entry = container.env?.find((e) => e.name === name);
  return typeof entry?.value === "string" ? entry.value : undefined;
}

export function hasEnv(container: Container, name: string): boolean {
  return container.env?.some((e) => e.name === name) ?? false;
}

export function addMounts(container: Container, mounts: readonly VolumeMount[] | undefined): void {
  if (!mounts || mounts.length === 0) return;
  (container.volumeMounts ??= []).push(...mounts.map((m) => ({ ...m })));
}

export function addEnvFrom(container: Container, sources: readonly EnvFromSource[] | undefined): void {
  if (!sources || sources.length === 0) return;
  (container.envFrom ??= []).push(...sources.map((s) => cloneJson(s)));
}

/** First mount of each mountPath wins, as in agent-stack-k8s's PrepareVolumeMounts. */
export function dedupeMounts(container: Container): void {
  if (!container.volumeMounts) return;
  const seen = new Set<string>();
  container.volumeMounts = container.volumeMounts.filter((m) => {
    if (seen.has(m.mountPath)) return false;
    seen.add(m.mountPath);
    return true;
  });
}

/** The last entry of each env name wins, as the kubelet would resolve it; earlier ones go. */
export function dedupeEnv(container: Container): void {
  if (!container.env) return;
  const lastIndex = new Map<string, number>();
  container.env.forEach((e, i) => lastIndex.set(e.name, i));
  if (lastIndex.size === container.env.length) return;
  container.env = container.env.filter((e, i) => lastIndex.get(e.name) === i);
}
