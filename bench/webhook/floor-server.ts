// The benchmark's floor, run as a child of bench.ts: bare node:https with the webhook's TLS
// settings, reading the body and answering a constant AdmissionReview. It measures TLS + HTTP
// alone, so it imports nothing of the webhook (its modules would inflate the floor's RSS).
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const CONSTANT_ANSWER = Buffer.from('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true}}');

const certDir = process.argv[2];
if (certDir === undefined) throw new Error("usage: floor-server.ts <certDir>");
const server = createServer({ cert: readFileSync(join(certDir, "tls.crt")), key: readFileSync(join(certDir, "tls.key")), minVersion: "TLSv1.2" }, (req, res) => {
  req.on("data", () => undefined);
  req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": CONSTANT_ANSWER.length }).end(CONSTANT_ANSWER));
});
server.keepAliveTimeout = 95_000;
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on("disconnect", () => process.exit(0));
process.on("message", (message) => {
  if (message === "memory") process.send?.({ memory: process.memoryUsage() });
});
