// The project's image as `make image` builds it (image/build.sh: cached by its inputs, instant
// when nothing changed), and what its image.env says about it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuildScript } from "../../cluster/build-script.ts";

const BUILD = join(import.meta.dirname, "..", "..", "..", "image", "build.sh");

export interface ProjectImage {
  /** e.g. docker.io/library/agentify:0.1.0 */
  name: string;
  /** The OCI image-layout tar. */
  tar: string;
  /** The manifest digest, sha256:… */
  digest: string;
  /** The image ID (its config's digest), as a pod's containerStatuses[].imageID shows it. */
  id: string;
  archiveBytes: number;
  unpackedBytes: number;
}

let built: Promise<ProjectImage> | undefined;

/**
 * Once per process; build chatter goes to our stderr. AGENTIFY_IMAGE_DIR=<a folder image/build.sh
 * made> uses that image instead (e.g. one built from another checkout).
 */
export function buildProjectImage(): Promise<ProjectImage> {
  const given = process.env["AGENTIFY_IMAGE_DIR"];
  built ??= (given ? Promise.resolve(given) : runBuildScript(BUILD)).then((dir) => parseImageEnv(readFileSync(join(dir, "image.env"), "utf8")));
  return built;
}

export function parseImageEnv(text: string): ProjectImage {
  const env = new Map(text.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const need = (key: string): string => {
    const value = env.get(key);
    if (!value) throw new Error(`image.env lacks ${key}`);
    return value;
  };
  return {
    name: need("IMAGE"), tar: need("TAR"), digest: need("DIGEST"), id: need("ID"),
    archiveBytes: Number(need("ARCHIVE_BYTES")), unpackedBytes: Number(need("UNPACKED_BYTES")),
  };
}
