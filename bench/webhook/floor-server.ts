// The benchmark's floor, a process of its own: bare node:https with the webhook's TLS settings,
// which reads each body, parses it as JSON (as any webhook must) and answers a precomputed
// AdmissionReview, the webhook's own answer for the same review (so a patch of the same size).
// It measures TLS + HTTP + JSON.parse alone, so it imports nothing of the webhook.
//   node floor-server.ts <certDir> <answerFile> <port>
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { flushCompileCache } from "node:module";
import { join } from "node:path";

const [certDir, answerFile, port] = process.argv.slice(2);
if (certDir === undefined || answerFile === undefined || port === undefined) throw new Error("usage: floor-server.ts <certDir> <answerFile> <port>");
const answer = readFileSync(answerFile);
const server = createServer({ cert: readFileSync(join(certDir, "tls.crt")), key: readFileSync(join(certDir, "tls.key")), minVersion: "TLSv1.2" }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    JSON.parse(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "application/json", "content-length": answer.length }).end(answer);
  });
});
server.keepAliveTimeout = 95_000;
// Started as the webhook is (same flags and compile cache), so its start-up is comparable.
server.listen(Number(port), "127.0.0.1", () => flushCompileCache());
process.on("SIGTERM", () => process.exit(0));
