// Shared fixtures for the webhook server tests: certificate directories, a webhook on a free
// loopback port with its log captured, an HTTPS client that reports the peer certificate, and
// AdmissionReview builders.
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { Agent } from "node:https";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Level } from "pino";
import { generateCa, issueServingCert, writeCertDir } from "../../../certs/index.ts";
import type { CaPair, ServingPair } from "../../../certs/index.ts";
import { defaultConfig } from "../../../webhook/core/index.ts";
import type { JsonObject, JsonValue } from "../../../webhook/core/index.ts";
import { startWebhook } from "../../../webhook/server/server.ts";
import type { WebhookOptions, WebhookServer } from "../../../webhook/server/server.ts";

export const JOB_UUID = "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b";

const dirs: string[] = [];

export function tempDir(prefix = "agentify-webhook-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

let sharedCa: CaPair | undefined;

/** One CA per test run: RSA key generation is the slow part. */
export function testCa(): CaPair {
  sharedCa ??= generateCa({ commonName: "agentify-webhook-test-ca" });
  return sharedCa;
}

/** A serving pair for 127.0.0.1/localhost, signed by testCa(). */
export function servingPair(): ServingPair {
  return issueServingCert(testCa(), { service: "agentify-webhook", namespace: "buildkite", ips: ["127.0.0.1"], dnsNames: ["localhost"] });
}

/** A fresh directory with ca.crt, ca.key, tls.crt, tls.key. */
export function certDir(): string {
  const dir = tempDir("agentify-webhook-certs-");
  writeCertDir(dir, { ca: testCa(), serving: servingPair() });
  return dir;
}

/** Log lines written by a webhook under test, parsed. */
export interface CapturedLog {
  lines: Record<string, unknown>[];
  raw: string[];
}

export function captureLog(level: Level = "info"): { log: CapturedLog; logger: pino.Logger } {
  const log: CapturedLog = { lines: [], raw: [] };
  const logger = pino({ level }, {
    write(chunk: string) {
      log.raw.push(chunk);
      log.lines.push(JSON.parse(chunk) as Record<string, unknown>);
    },
  });
  return { log, logger };
}

export interface TestWebhook {
  webhook: WebhookServer;
  log: CapturedLog;
  certDir: string;
}

/** startWebhook on free loopback ports with a captured log; close it with webhook.close(). */
export async function startTestWebhook(options: Partial<WebhookOptions> = {}, level: Level = "info"): Promise<TestWebhook> {
  const { log, logger } = captureLog(level);
  const dir = options.certDir ?? certDir();
  const webhook = await startWebhook({ config: defaultConfig(), host: "127.0.0.1", port: 0, metricsPort: 0, logger, ...options, certDir: dir });
  return { webhook, log, certDir: dir };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** Serial of the certificate the server presented (uppercase hex). */
  peerSerial: string;
}

export interface PostOptions {
  method?: string;
  contentType?: string | null;
  agent?: Agent | false;
  path?: string;
}

/** One HTTPS request trusting only testCa(). */
export function send(url: string, body: Buffer | string | undefined, options: PostOptions = {}): Promise<HttpAnswer> {
  const target = new URL(options.path ?? "", url);
  const headers: Record<string, string | number> = {};
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  if (options.contentType !== null) headers["content-type"] = options.contentType ?? "application/json";
  if (payload !== undefined) headers["content-length"] = payload.length;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(target, { method: options.method ?? "POST", headers, ca: testCa().cert, agent: options.agent ?? false }, (res) => {
      const peerSerial = (res.socket as TLSSocket).getPeerCertificate().serialNumber.toUpperCase();
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const buffer = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, text: buffer.toString("utf8"), peerSerial });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

export function postReview(url: string, review: JsonValue | string, options: PostOptions = {}): Promise<HttpAnswer> {
  const body = typeof review === "string" ? review : JSON.stringify(review);
  return send(url, body, { path: "/mutate/jobs", ...options });
}

/** A bare Job as the dispatcher creates it: one command container, 20 env vars unless given. */
export function bareJob(overrides: { labels?: Record<string, string>; env?: JsonObject[]; namespace?: string | null; containers?: JsonObject[] } = {}): JsonObject {
  const env = overrides.env ?? Array.from({ length: 20 }, (_, i): JsonObject => ({ name: `VAR_${i}`, value: `value-${i}` }));
  const metadata: JsonObject = { generateName: "buildkite-", labels: overrides.labels ?? { "buildkite.com/job-uuid": JOB_UUID } };
  if (overrides.namespace !== null) metadata["namespace"] = overrides.namespace ?? "ci";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata,
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: overrides.containers ?? [{ name: "build", image: "alpine:3.20", command: ["make", "test"], env }],
        },
      },
    },
  };
}

export interface ReviewOverrides {
  apiVersion?: string;
  uid?: string;
  operation?: string;
  kind?: JsonObject;
  resource?: JsonObject;
  subResource?: string;
  dryRun?: boolean;
  namespace?: string;
  object?: JsonValue;
}

/** An AdmissionReview as kube-apiserver sends it for `kubectl create -f job.yaml`. */
export function jobReview(overrides: ReviewOverrides = {}): JsonObject {
  const request: JsonObject = {
    uid: overrides.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
    kind: overrides.kind ?? { group: "batch", version: "v1", kind: "Job" },
    resource: overrides.resource ?? { group: "batch", version: "v1", resource: "jobs" },
    requestKind: { group: "batch", version: "v1", kind: "Job" },
    requestResource: { group: "batch", version: "v1", resource: "jobs" },
    namespace: overrides.namespace ?? "ci",
    operation: overrides.operation ?? "CREATE",
    userInfo: { username: "system:serviceaccount:buildkite:dispatcher", groups: ["system:authenticated"] },
    object: overrides.object === undefined ? bareJob() : overrides.object,
    oldObject: null,
    dryRun: overrides.dryRun ?? false,
    options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
  };
  if (overrides.subResource !== undefined) request["subResource"] = overrides.subResource;
  return { apiVersion: overrides.apiVersion ?? "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

/** The parsed answer body, with the patch decoded. */
export interface DecodedAnswer {
  apiVersion: string;
  kind: string;
  response: { uid: string; allowed: boolean; status?: { code: number; message: string }; patchType?: string; patch?: string; auditAnnotations?: Record<string, string> };
  patch?: { op: string; path: string; value?: JsonValue }[];
}

export function decodeAnswer(answer: HttpAnswer): DecodedAnswer {
  const parsed = JSON.parse(answer.text) as DecodedAnswer;
  if (parsed.response.patch !== undefined) parsed.patch = JSON.parse(Buffer.from(parsed.response.patch, "base64").toString("utf8")) as DecodedAnswer["patch"];
  return parsed;
}

/** Audit lines ("admission review") in a captured log. */
export function auditLines(log: CapturedLog): Record<string, unknown>[] {
  return log.lines.filter((line) => line["msg"] === "admission review");
}
