// Small git repositories for checkout tests, served read-only over git:// by
// `git daemon` on a given address and a free port, as a pod's checkout clones them
// over the network in production. Everything lives in one temp dir, removed on
// stop; the daemon is stopped by its pid only.
//
//   const git = await startGitServer({ host: "127.0.0.1" });
//   const repo = await git.createRepo("app");
//   const first = await repo.commit("first", { "README.md": "hello\n" });
//   await repo.branch("feature", first); await repo.tag("v1.0.0");
//   git.url("app")  // git://127.0.0.1:PORT/app.git
//   await git.stop();
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Repository names become paths: letters, digits, `.`, `_`, `-`, no leading dot. */
const REPO_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

// Fixed identity and dates, and no user or system config, so commits are the same on every machine.
const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Agentify Test", GIT_AUTHOR_EMAIL: "test@agentify.invalid",
  GIT_COMMITTER_NAME: "Agentify Test", GIT_COMMITTER_EMAIL: "test@agentify.invalid",
  GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
  LC_ALL: "C",
};

export async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("git", args, { cwd, env: GIT_ENV, maxBuffer: 16 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`git ${args.join(" ")} (in ${cwd}) failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

export interface GitServerOptions {
  /** Address to listen on; default 127.0.0.1 (a node's host address for pods). */
  host?: string;
  /** Default: a free port on `host`. */
  port?: number;
  /** How long to wait for the daemon to accept connections; default 10 s. */
  startTimeoutMs?: number;
}

/** One served repository. Every change is published to the served copy at once. */
export interface GitRepo {
  name: string;
  url: string;
  /** Writes `files` (path → content; null deletes) on `branch` (default the current one) and commits; returns the SHA. */
  commit(message: string, files: Record<string, string | null>, opts?: { branch?: string }): Promise<string>;
  /** Creates (or moves) a branch at `at` (default the current commit); returns its SHA. */
  branch(name: string, at?: string): Promise<string>;
  /** An annotated tag at `at` (default the current commit); returns the tagged commit's SHA. */
  tag(name: string, at?: string): Promise<string>;
  /** The SHA a ref (branch, tag, `HEAD`) points at in the served copy. */
  rev(ref: string): Promise<string>;
}

export interface GitServer {
  host: string;
  port: number;
  /** git://host:port/ */
  baseUrl: string;
  /** The temp dir holding everything (removed by stop). */
  root: string;
  pid: number;
  url(repoName: string): string;
  /** A new empty repository whose default branch is `main` (or `defaultBranch`). */
  createRepo(name: string, opts?: { defaultBranch?: string }): Promise<GitRepo>;
  daemonLog(): string;
  stop(): Promise<void>;
}

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const host = opts.host ?? "127.0.0.1";
  const root = await mkdtemp(join(tmpdir(), "agentify-git-"));
  const served = join(root, "served");
  await mkdir(served);
  let daemon: Daemon | null = null;
  try {
    const port = opts.port ?? (await freePort(host));
    daemon = startDaemon(served, host, port);
    await waitUntilListening(daemon, host, port, opts.startTimeoutMs ?? 10_000);
    const started = daemon.child;
    const baseUrl = `git://${host.includes(":") ? `[${host}]` : host}:${port}/`;
    const url = (name: string) => `${baseUrl}${name}.git`;
    return {
      host, port, baseUrl, root, pid: started.pid as number, url,
      createRepo: async (name, repoOpts = {}) => {
        if (!REPO_NAME.test(name)) throw new Error(`repository name ${JSON.stringify(name)} must match ${REPO_NAME}`);
        return createRepo(root, served, name, url(name), repoOpts.defaultBranch ?? "main");
      },
      /** What the daemon logged (e.g. refused paths), for failure messages. */
      daemonLog: () => (daemon as Daemon).log(),
      stop: async () => {
        await stopDaemon(started);
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (daemon) await stopDaemon(daemon.child);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

interface Daemon {
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  log(): string;
}

function startDaemon(served: string, host: string, port: number): Daemon {
  const args = [
    "daemon", "--verbose", "--reuseaddr", "--export-all", "--informative-errors", `--base-path=${served}`,
    `--listen=${host}`, `--port=${port}`, served,
  ];
  const child = spawn("git", args, { env: GIT_ENV, stdio: ["ignore", "ignore", "pipe"] });
  // --verbose logs every connection: keep the start and the latest 64 KiB.
  let head = "";
  let tail = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    if (head.length < 4096) head += d;
    else tail = (tail + d).slice(-65_536);
  });
  return { child, log: () => head + tail };
}

async function waitUntilListening(daemon: Daemon, host: string, port: number, timeoutMs: number): Promise<void> {
  const { child } = daemon;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`git daemon exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}: ${daemon.log().trim() || "no output"}`);
    }
    // "Ready to rumble" (with --verbose) means this daemon bound the port: a connection
    // alone could be answered by another process already listening there.
    if (daemon.log().includes("Ready to rumble") && (await canConnect(host, port))) return;
    if (Date.now() > deadline) throw new Error(`git daemon did not listen on ${host}:${port} within ${timeoutMs} ms: ${daemon.log().trim()}`);
    await sleep(50);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, "SIGTERM");
  const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!stopped) {
    process.kill(child.pid, "SIGKILL");
    await exited;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (err) => reject(new Error(`no free port on ${host}: ${err.message}`, { cause: err })));
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function createRepo(root: string, served: string, name: string, url: string, defaultBranch: string): Promise<GitRepo> {
  const bare = join(served, `${name}.git`);
  const work = join(root, "work", name);
  await mkdir(work, { recursive: true });
  await git(root, ["init", "--quiet", "--bare", `--initial-branch=${defaultBranch}`, bare]);
  await git(work, ["init", "--quiet", `--initial-branch=${defaultBranch}`]);
  await git(work, ["remote", "add", "origin", bare]);
  const publish = () => git(work, ["push", "--quiet", "--force", "--prune", "origin", "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]);
  const resolve = (ref: string) => git(work, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return {
    name, url,
    commit: async (message, files, commitOpts = {}) => {
      if (commitOpts.branch !== undefined) {
        const exists = await git(work, ["branch", "--list", commitOpts.branch]);
        await git(work, exists === "" && (await hasCommits(work)) ? ["checkout", "--quiet", "-b", commitOpts.branch] : ["checkout", "--quiet", commitOpts.branch]);
      }
      for (const [path, content] of Object.entries(files)) {
        if (path.startsWith("/") || path.split("/").includes("..")) throw new Error(`file path ${JSON.stringify(path)} must stay inside the repository`);
        const target = join(work, path);
        if (content === null) {
          await git(work, ["rm", "--quiet", "--", path]);
          continue;
        }
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content);
        await git(work, ["add", "--", path]);
      }
      await git(work, ["commit", "--quiet", "--allow-empty", "-m", message]);
      await publish();
      return resolve("HEAD");
    },
    branch: async (branchName, at = "HEAD") => {
      await git(work, ["branch", "--force", branchName, at]);
      await publish();
      return resolve(branchName);
    },
    tag: async (tagName, at = "HEAD") => {
      await git(work, ["tag", "--force", "-a", "-m", tagName, tagName, at]);
      await publish();
      return resolve(tagName);
    },
    rev: (ref) => git(bare, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]),
  };
}

async function hasCommits(work: string): Promise<boolean> {
  try {
    await git(work, ["rev-parse", "--verify", "--quiet", "HEAD"]);
    return true;
  } catch {
    return false;
  }
}
