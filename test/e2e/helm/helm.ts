// helm, built from its Go module by test/helm/build.sh (cached; instant when warm), and the
// chart's renders the tests compare: fixed release name, namespace and Kubernetes version, so the
// output depends on the chart and the values only.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { runBuildScript } from "../../cluster/build-script.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";

const run = promisify(execFile);
export const REPO = join(import.meta.dirname, "..", "..", "..");
export const CHART = join(REPO, "charts", "agentify");
export const VALUES_DIR = join(REPO, "test", "helm", "values");
export const GOLDEN_DIR = join(REPO, "test", "helm", "golden");
export const RELEASE = "agentify";
export const NAMESPACE = "buildkite";
export const KUBE_VERSION = "1.36.3";

let helmBin: Promise<string> | undefined;

export function helmBinary(): Promise<string> {
  helmBin ??= runBuildScript(join(REPO, "test", "helm", "build.sh"));
  return helmBin;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; resolves with its exit code and output (never rejects for a non-zero exit). */
export async function helm(args: string[], env: Record<string, string> = {}): Promise<HelmResult> {
  const bin = await helmBinary();
  try {
    const { stdout, stderr } = await run(bin, args, { cwd: REPO, env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/root", ...env }, timeout: 120_000, maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** `helm template` of the chart with these values files and --set flags. */
export function template(valuesFiles: string[], set: string[] = []): Promise<HelmResult> {
  return helm(["template", RELEASE, CHART, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION,
    ...valuesFiles.flatMap((f) => ["--values", f]), ...set.flatMap((s) => ["--set", s])]);
}

export function documents(yaml: string): JsonObject[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as JsonObject | null).filter((d): d is JsonObject => d !== null);
}

export function find(docs: JsonObject[], kind: string, name?: string): JsonObject {
  const found = docs.filter((d) => d["kind"] === kind && (name === undefined || (d["metadata"] as JsonObject)["name"] === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${found.length}`);
  return found[0] as JsonObject;
}
