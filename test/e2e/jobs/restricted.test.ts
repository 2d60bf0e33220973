// Non-root in `fs-group` mode under Pod Security `restricted` on the real node: the config's
// pod-spec-patch gives every pod uid 1000, the step's podSpecPatch gives its command container what
// `restricted` asks of each container, and agentify does the rest (fsGroup, seccomp, its own
// containers). Nothing runs as root, checkout included, and the job passes.
import { expect } from "chai";
import { startGitServer } from "../../support/git-server.ts";
import type { GitServer } from "../../support/git-server.ts";
import { BASE_POD_SPEC_PATCH, JobsEnv } from "./env.ts";
import { expectJobEnded, expectLogLine, podsDone } from "./expect-job.ts";

const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

describe("non-root fs-group mode under Pod Security restricted, on the real node (real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  let git: GitServer;
  let id = "";
  let commit = "";

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create({
      config: {
        "non-root-workspace": "fs-group",
        "pod-spec-patch": { ...BASE_POD_SPEC_PATCH, securityContext: { runAsUser: 1000 } },
      },
    });
    await e.env.cluster.kubectl(["label", "namespace", e.env.namespace, "pod-security.kubernetes.io/enforce=restricted"], { check: true });
    git = await startGitServer({ host: e.node.hostIp });
    const repo = await git.createRepo("app");
    commit = await repo.commit("first", { "which.txt": "checked out as a non-root user\n" });
    await e.env.startDispatcher();
    id = e.schedule(
      {
        command: 'echo "uid=$(id -u) home=$HOME"\ncat which.txt\ntouch /workspace/written-as-1000 && echo "the workspace is writable"',
        image: e.busybox,
        plugins: [{ kubernetes: { podSpecPatch: { containers: [{ name: "container-0", securityContext: RESTRICTED_CONTAINER }] } } }],
      },
      { repo: repo.url, branch: "main", commit, pipeline: "restricted" },
    );
  });
  after(async () => {
    await e?.cleanup();
    await git?.stop();
  });

  it("the namespace enforces restricted: a plain root pod is refused there", async function () {
    const pod = {
      apiVersion: "v1", kind: "Pod", metadata: { name: "plain", namespace: e.env.namespace },
      spec: { containers: [{ name: "c", image: e.busybox, command: ["true"] }] },
    };
    const res = await e.env.cluster.kubectl(["create", "--dry-run=server", "-f", "-"], { input: JSON.stringify(pod) });
    expect(res.code).to.not.equal(0);
    expect(res.stderr).to.match(/violates PodSecurity "restricted:/);
  });

  it("runs the checkout and the command as uid 1000, and passes", async function () {
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expectLogLine(e, id, "uid=1000 home=/workspace");
    expectLogLine(e, id, "checked out as a non-root user");
    expectLogLine(e, id, "the workspace is writable");
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
    expect(pod?.spec?.securityContext?.runAsUser).to.equal(1000);
    expect(pod?.spec?.securityContext?.fsGroup).to.equal(1000);
    for (const c of [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])]) {
      expect(c.securityContext?.runAsUser ?? 1000, `${c.name} runs as uid 1000`).to.equal(1000);
    }
  });
});
