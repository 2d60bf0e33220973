// The generated pair works for real TLS: a client that trusts only ca.crt accepts the
// server by Service DNS name (as the apiserver dials it) and by IP 127.0.0.1.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { generateCa } from "../../../certs/index.ts";
import { sharedPairs, SVC_DNS } from "./helpers.ts";

function get(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", ca, agent: false, ...(servername ? { servername } : {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("certs: TLS with the generated pair", () => {
  let server: Server;
  let port: number;

  before(async () => {
    const { serving } = sharedPairs();
    server = createServer({ key: serving.key, cert: serving.cert, minVersion: "TLSv1.2" }, (_req, res) => res.end("ok"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("is accepted with servername NAME.NS.svc by a client trusting only ca.crt", async () => {
    assert.equal(await get(port, sharedPairs().ca.cert, SVC_DNS), "ok");
  });

  it("is accepted by IP 127.0.0.1", async () => {
    assert.equal(await get(port, sharedPairs().ca.cert), "ok");
  });

  it("is rejected for a name it does not cover", async () => {
    await assert.rejects(get(port, sharedPairs().ca.cert, "other.agentify-system.svc"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  it("is rejected by a client trusting another CA", async () => {
    await assert.rejects(get(port, generateCa().cert, SVC_DNS), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });
});
