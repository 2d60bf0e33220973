// The node's network: one Linux bridge per run with a /24 of its own. The host side of the bridge is
// the node IP (kubelet cannot use loopback) and the only address pods can reach: there is no NAT, no
// forwarding, no default route in pods. Servers that pods must reach (the Buildkite stand-in, the git
// server) listen on that address.
import { execFileSync } from "node:child_process";

export const BRIDGE_PREFIX = "agfy";

export interface NodeNet {
  bridge: string;
  /** e.g. "10.77.12.0/24" */
  subnet: string;
  /** The host's address on the bridge, e.g. "10.77.12.1". */
  hostIp: string;
  /** First and last pod address handed out by host-local IPAM. */
  rangeStart: string;
  rangeEnd: string;
  /** The bridge's own MAC, locally administered; see createBridge. */
  mac: string;
}

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A 10.x.y.0/24 that no route on this host already covers, derived from the run id. */
export function pickNet(runId: string): NodeNet {
  const routes = ip(["-4", "route", "show", "table", "all"]);
  const used = new Set<string>();
  for (const m of routes.matchAll(/\b10\.(\d+)\.(\d+)\.\d+(?:\/\d+)?/g)) used.add(`${m[1]}.${m[2]}`);
  if (/\b10\.0\.0\.0\/8\b/.test(routes)) throw new Error("the host routes all of 10.0.0.0/8; the test node needs a free 10.x.y.0/24");
  let seed = Number.parseInt(runId.slice(0, 8), 16) || 1;
  for (let i = 0; i < 256; i++) {
    const a = 64 + (seed % 128);
    const b = (seed >>> 8) % 256;
    seed = (seed * 1103515245 + 12345) >>> 0;
    if (used.has(`${a}.${b}`)) continue;
    const base = `10.${a}.${b}`;
    return {
      bridge: `${BRIDGE_PREFIX}${runId.slice(0, 8)}`, subnet: `${base}.0/24`, hostIp: `${base}.1`,
      rangeStart: `${base}.10`, rangeEnd: `${base}.250`, mac: bridgeMac(runId),
    };
  }
  throw new Error("no free 10.x.y.0/24 for the test node's bridge");
}

/** 02:… (locally administered, unicast) followed by the run id's first four bytes. */
export function bridgeMac(runId: string): string {
  const hex = runId.slice(0, 8).padStart(8, "0");
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new Error(`run id ${JSON.stringify(runId)} does not start with 8 hex digits`);
  return ["02", "00", ...(hex.match(/../g) ?? [])].join(":");
}

// The MAC is set, not left to the kernel: a bridge without one takes the lowest MAC of its ports and
// changes it when that port goes, and every pod whose ARP entry for the host still names the old MAC
// loses the host (the apiserver's webhook calls, the stand-in) for seconds, until it probes again.
export function createBridge(net: Pick<NodeNet, "bridge" | "hostIp" | "mac">): void {
  ip(["link", "add", "name", net.bridge, "address", net.mac, "type", "bridge"]);
  ip(["addr", "add", `${net.hostIp}/24`, "dev", net.bridge]);
  ip(["link", "set", net.bridge, "up"]);
}

/** Delete the bridge if it exists; pods' veths went with their network namespaces. */
export function deleteBridge(bridge: string): void {
  if (!bridgeExists(bridge)) return;
  try {
    ip(["link", "del", bridge]);
  } catch (err) {
    throw new Error(`could not delete the test node's bridge ${bridge}: ${String(err)}`, { cause: err });
  }
}

export function bridgeExists(bridge: string): boolean {
  try {
    ip(["link", "show", "dev", bridge]);
    return true;
  } catch {
    return false;
  }
}

/** Our bridges on this host (for reaping runs that died). */
export function existingBridges(): string[] {
  return ip(["-o", "link", "show", "type", "bridge"])
    .split("\n")
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n.startsWith(BRIDGE_PREFIX));
}
