// The node's images, built once per input set by test/images/build.sh (cached; instant when warm),
// and the node runtime's binaries from build-node.sh.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuildScript } from "../build-script.ts";

export interface NodeImage {
  /** The local name pods use, e.g. localhost/agentify/buildkite-agent:3.136.2. */
  name: string;
  /** The OCI image-layout tar. */
  tar: string;
  /** The manifest digest, sha256:… (the same inputs always give the same digest). */
  digest: string;
}

export interface NodeImages {
  pause: NodeImage;
  busybox: NodeImage;
  agent: NodeImage;
}

const REPO_TEST = join(import.meta.dirname, "..", "..");

let nodeBin: Promise<string> | undefined;
let images: Promise<NodeImages> | undefined;

/** containerd, ctr, the runc shim, runc and the CNI plugins (test/cluster/build-node.sh). */
export function buildNodeBinaries(): Promise<string> {
  nodeBin ??= runBuildScript(join(REPO_TEST, "cluster", "build-node.sh"));
  return nodeBin;
}

export function buildImages(): Promise<NodeImages> {
  images ??= runBuildScript(join(REPO_TEST, "images", "build.sh")).then((dir) => parseImagesEnv(readFileSync(join(dir, "images.env"), "utf8")));
  return images;
}

/** The real buildkite-agent binary that the agent image holds (built from its Go module). */
export async function buildkiteAgentBinary(): Promise<string> {
  const dir = await runBuildScript(join(REPO_TEST, "images", "build.sh"));
  const line = readFileSync(join(dir, "images.env"), "utf8").split("\n").find((l) => l.startsWith("AGENT_BIN="));
  if (!line) throw new Error(`${dir}/images.env names no AGENT_BIN`);
  return line.slice("AGENT_BIN=".length);
}

export function parseImagesEnv(text: string): NodeImages {
  const env = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) env.set(line.slice(0, i), line.slice(i + 1));
  }
  const image = (key: string): NodeImage => {
    const name = env.get(`${key}_IMAGE`);
    const tar = env.get(`${key}_TAR`);
    const digest = env.get(`${key}_DIGEST`);
    if (!name || !tar || !digest) throw new Error(`images.env lacks ${key}_IMAGE, ${key}_TAR or ${key}_DIGEST`);
    return { name, tar, digest };
  };
  return { pause: image("PAUSE"), busybox: image("BUSYBOX"), agent: image("AGENT") };
}
