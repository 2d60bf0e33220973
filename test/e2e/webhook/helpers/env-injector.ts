// A second mutating webhook for the reinvocation test: adds E2E_INJECTED=1 to every container
// and init container of a Job that lacks it (so it is idempotent, as reinvocation requires).
// Plain node:https, one route, JSON patches; records every call.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { JsonObject } from "../../../../webhook/core/index.ts";

export const INJECTED_ENV = { name: "E2E_INJECTED", value: "1" };

export interface InjectorCall {
  namespace: string;
  name: string;
  /** How many JSON patch operations the answer carried. */
  operations: number;
}

export interface EnvInjector {
  url: string;
  calls: InjectorCall[];
  close(): Promise<void>;
}

type PatchOp = { op: "add"; path: string; value: unknown };

function patchFor(job: JsonObject): PatchOp[] {
  const spec = ((job["spec"] as JsonObject | undefined)?.["template"] as JsonObject | undefined)?.["spec"] as JsonObject | undefined;
  if (!spec) return [];
  const ops: PatchOp[] = [];
  for (const field of ["initContainers", "containers"]) {
    ((spec[field] as JsonObject[] | undefined) ?? []).forEach((c, i) => {
      const env = c["env"] as JsonObject[] | undefined;
      const path = `/spec/template/spec/${field}/${i}/env`;
      if (env === undefined) ops.push({ op: "add", path, value: [INJECTED_ENV] });
      else if (!env.some((e) => e["name"] === INJECTED_ENV.name)) ops.push({ op: "add", path: `${path}/-`, value: INJECTED_ENV });
    });
  }
  return ops;
}

export async function startEnvInjector(certDir: string): Promise<EnvInjector> {
  const calls: InjectorCall[] = [];
  const server: Server = createServer({ cert: readFileSync(join(certDir, "tls.crt")), key: readFileSync(join(certDir, "tls.key")) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request: JsonObject };
      const request = review.request;
      const object = request["object"] as JsonObject;
      const ops = object["kind"] === "Job" ? patchFor(object) : [];
      calls.push({ namespace: String(request["namespace"]), name: String(request["name"]), operations: ops.length });
      const response: JsonObject = { uid: request["uid"] as string, allowed: true };
      if (ops.length > 0) {
        response["patchType"] = "JSONPatch";
        response["patch"] = Buffer.from(JSON.stringify(ops)).toString("base64");
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/inject`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Container names whose env holds E2E_INJECTED other than exactly once. */
export function injectionProblems(podSpec: JsonObject): string[] {
  const containers = [...((podSpec["initContainers"] as JsonObject[] | undefined) ?? []), ...((podSpec["containers"] as JsonObject[] | undefined) ?? [])];
  return containers.flatMap((c) => {
    const n = ((c["env"] as JsonObject[] | undefined) ?? []).filter((e) => e["name"] === INJECTED_ENV.name).length;
    return n === 1 ? [] : [`${String(c["name"])} has ${n}× ${INJECTED_ENV.name}`];
  });
}
