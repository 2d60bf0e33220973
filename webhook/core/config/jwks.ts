// Where the agent finds its JWKS files and where their volumes are mounted, as agent-stack-k8s
// resolves them: a relative path is a file inside the volume, mounted at the default directory;
// an absolute path is mounted at its own directory. Paths that would mount a volume over the
// container's own files are refused when the config is read, naming the key.
import { posix } from "node:path";
import type { AgentConfig } from "./schema.ts";

export interface JwksKind {
  fileKey: "signing-jwks-file" | "verification-jwks-file";
  volumeKey: "signingJWKSVolume" | "verificationJWKSVolume";
  defaultDir: string;
}

export const SIGNING_JWKS: JwksKind = { fileKey: "signing-jwks-file", volumeKey: "signingJWKSVolume", defaultDir: "/buildkite/signing-jwks" };
export const VERIFICATION_JWKS: JwksKind = {
  fileKey: "verification-jwks-file", volumeKey: "verificationJWKSVolume", defaultDir: "/buildkite/verification-jwks",
};

export interface JwksLocation {
  /** The absolute path the agent is given. */
  file: string;
  /** Where the volume is mounted. */
  mountDir: string;
}

/** "" counts as unset (Go's zero value upstream): the default file, `key`, in the default directory. */
export function jwksLocation(file: string | undefined, kind: JwksKind): JwksLocation {
  if (!file) return { file: `${kind.defaultDir}/key`, mountDir: kind.defaultDir };
  if (posix.isAbsolute(file)) {
    const normal = posix.normalize(file);
    return { file: normal, mountDir: posix.dirname(normal) };
  }
  return { file: posix.join(kind.defaultDir, file), mountDir: kind.defaultDir };
}

// A volume mounted here would hide what the agent, its entrypoint or the bootstraps need.
const PROTECTED_TREES = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/usr", "/etc", "/dev", "/proc", "/sys", "/workspace"];
const PROTECTED_DIRS = new Set(["/", "/buildkite", "/home", "/root", "/run", "/tmp", "/var"]);

function isProtected(dir: string): boolean {
  return PROTECTED_DIRS.has(dir) || PROTECTED_TREES.some((tree) => dir === tree || dir.startsWith(`${tree}/`));
}

function fileProblem(file: string, kind: JwksKind, hasVolume: boolean): string | undefined {
  const where = `agent-config.${kind.fileKey}: ${JSON.stringify(file)}`;
  if (file.endsWith("/") || [".", ".."].includes(posix.basename(file))) return `${where} names a directory; name the JWKS file`;
  if (!posix.isAbsolute(file) && posix.normalize(file).split("/")[0] === "..") {
    return `${where} is outside the volume: a relative path names a file in ${kind.volumeKey}, which is mounted at ${kind.defaultDir}`;
  }
  const { mountDir } = jwksLocation(file, kind);
  if (hasVolume && isProtected(mountDir)) {
    return `${where} would mount ${kind.volumeKey} at ${JSON.stringify(mountDir)}, over the container's own files; ` +
      `name a file in a directory of its own (such as ${kind.defaultDir}/key) or a path relative to the volume`;
  }
  return undefined;
}

/** The first unusable JWKS setting, as `agent-config.<key>: <why>`, or undefined. */
export function jwksProblem(ac: AgentConfig | undefined): string | undefined {
  if (!ac) return undefined;
  for (const kind of [SIGNING_JWKS, VERIFICATION_JWKS]) {
    const file = ac[kind.fileKey];
    const problem = file ? fileProblem(file, kind, ac[kind.volumeKey] !== undefined) : undefined;
    if (problem) return problem;
  }
  if (ac.signingJWKSVolume && ac.verificationJWKSVolume) {
    const signing = jwksLocation(ac["signing-jwks-file"], SIGNING_JWKS).mountDir;
    const verification = jwksLocation(ac["verification-jwks-file"], VERIFICATION_JWKS).mountDir;
    if (signing === verification) {
      return `agent-config.verification-jwks-file: ${JSON.stringify(ac["verification-jwks-file"] ?? "")} would mount verificationJWKSVolume ` +
        `at ${JSON.stringify(verification)}, where signingJWKSVolume is mounted; give each volume a directory of its own`;
    }
  }
  return undefined;
}
