// Shared fixtures for the certs tests: temporary directories and one CA per run
// (RSA key generation is the slow part).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { registerCerts } from "../../../certs/command.ts";
import { generateCa, issueServingCert, type CaPair, type ServingPair } from "../../../certs/index.ts";

export const SERVICE = "agentify-webhook";
export const NAMESPACE = "agentify-system";
export const SVC_DNS = `${SERVICE}.${NAMESPACE}.svc`;

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "agentify-certs-"));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let shared: { ca: CaPair; serving: ServingPair } | undefined;

/** A CA and a serving cert for SERVICE.NAMESPACE with IP 127.0.0.1, made once. */
export function sharedPairs(): { ca: CaPair; serving: ServingPair } {
  if (!shared) {
    const ca = generateCa();
    shared = { ca, serving: issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, ips: ["127.0.0.1"] }) };
  }
  return shared;
}

export interface Run {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs `agentify <args>` with the root settings of bin/agentify.ts, capturing output. */
export async function agentify(...args: string[]): Promise<Run> {
  const run: Run = { stdout: "", stderr: "", exitCode: 0 };
  const program = new Command("agentify")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => (run.stdout += text),
      writeErr: (text) => (run.stderr += text),
      getOutHelpWidth: () => 80,
      getErrHelpWidth: () => 80,
    });
  registerCerts(program);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    run.exitCode = err.exitCode;
  }
  return run;
}
