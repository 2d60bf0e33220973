// A TCP relay from the node's host address to the apiserver on loopback. The in-cluster dispatcher
// reaches the apiserver through the `kubernetes` Service in a real cluster; this test cluster has
// no kube-proxy and its apiserver listens on 127.0.0.1 only, so the relay stands in for that
// Service. TLS passes through untouched: the pod verifies the apiserver's own certificate.
import { createConnection, createServer } from "node:net";
import type { Socket } from "node:net";

export interface Relay {
  host: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRelay(host: string, target: { host: string; port: number }): Promise<Relay> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    track(client);
    track(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("relay: no TCP address");
  return {
    host,
    port: address.port,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
