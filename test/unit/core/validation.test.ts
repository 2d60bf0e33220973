// The config file's and the plugin annotation's validation (webhook/core/validation): the
// messages users see, word for word as zod 4 wrote them when it validated both, and the values a
// successful parse yields (defaults, key order). The expected texts were produced by zod 4.6.
import { expect } from "chai";
import { formatIssues } from "../../../webhook/core/config/issues.ts";
import { configSchema } from "../../../webhook/core/config/schema.ts";
import { kubernetesPluginSchema } from "../../../webhook/core/plugin/schema.ts";

function problems(schema: { safeParse(x: unknown): { success: true } | { success: false; error: { issues: Parameters<typeof formatIssues>[0] } } }, input: unknown): string {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("expected the input to be refused");
  return formatIssues(result.error.issues);
}

describe("config and plugin validation", () => {
  describe("config messages", () => {
    it("unknown keys, at the top and nested", () => {
      expect(problems(configSchema, {"imagee": "x", "agent-config": {"hookspath": "/x", "shell": "sh"}})).to.equal("agent-config.hookspath: unknown key; imagee: unknown key");
    });
    it("a root that is not an object", () => {
      expect(problems(configSchema, ["a"])).to.equal("(root): Invalid input: expected object, received array");
    });
    it("wrong scalar types", () => {
      expect(problems(configSchema, {"debug": "yes", "max-in-flight": "lots", "image": 5, "k8s-client-rate-limiter-qps": null})).to.equal("debug: Invalid input: expected boolean, received string; image: Invalid input: expected string, received number; max-in-flight: Invalid input: expected number, received string; k8s-client-rate-limiter-qps: Invalid input: expected number, received null");
    });
    it("numbers that are not finite", () => {
      expect(problems(configSchema, {"k8s-client-rate-limiter-qps": Number.NaN, "http-timeout": Number.POSITIVE_INFINITY})).to.equal("http-timeout: Invalid input; k8s-client-rate-limiter-qps: Invalid input: expected number, received NaN");
    });
    it("integers", () => {
      expect(problems(configSchema, {"max-in-flight": 1.5, "job-active-deadline-seconds": 2 ** 60, "prometheus-port": 70000, "job-creation-concurrency": 0, "default-termination-grace-period-seconds": -1})).to.equal("prometheus-port: Too big: expected number to be <=65535; max-in-flight: Invalid input: expected int, received number; job-creation-concurrency: Too small: expected number to be >=1; job-active-deadline-seconds: Too big: expected int to be <=9007199254740991; default-termination-grace-period-seconds: Too small: expected number to be >=0");
    });
    it("positive numbers", () => {
      expect(problems(configSchema, {"k8s-client-rate-limiter-qps": 0, "k8s-client-rate-limiter-burst": -3})).to.equal("k8s-client-rate-limiter-qps: Too small: expected number to be >0; k8s-client-rate-limiter-burst: Too small: expected number to be >0");
    });
    it("non-empty strings, and a list where one is expected", () => {
      expect(problems(configSchema, {"namespace": "", "job-prefix": [], "image": ["a", "b"]})).to.equal("namespace: Too small: expected string to have >=1 characters; image: Invalid input: expected string, received array; job-prefix: Invalid input: expected string, received array; job-prefix: Too small: expected array to have >=1 items");
    });
    it("patterns with their own message", () => {
      expect(problems(configSchema, {"tags": ["queue", "a=b", 3], "image-check-container-cpu-limit": "lots"})).to.equal("tags[0]: expected k=v; tags[2]: Invalid input: expected string, received number; image-check-container-cpu-limit: invalid Kubernetes quantity");
    });
    it("enums", () => {
      expect(problems(configSchema, {"log-level": "loud", "non-root-workspace": 1, "default-image-pull-policy": "Sometimes"})).to.equal("log-level: Invalid option: expected one of \"debug\"|\"info\"|\"warn\"|\"error\"; default-image-pull-policy: Invalid option: expected one of \"Always\"|\"IfNotPresent\"|\"Never\"|\"\"; non-root-workspace: Invalid option: expected one of \"chown\"|\"fs-group\"");
    });
    it("durations", () => {
      expect(problems(configSchema, {"job-ttl": "soon", "poll-interval": "500ms", "http-timeout": -5, "query-reset-interval": true, "pod-pending-timeout": 90})).to.equal("poll-interval: must be at least 1s; http-timeout: Too small: expected number to be >=0; query-reset-interval: Invalid input; job-ttl: invalid duration \"soon\" (expected e.g. \"90s\", \"10m\", \"1h30m\")");
    });
    it("records and lists", () => {
      expect(problems(configSchema, {"resource-classes": {"big": {"resource": [], "nodeSelector": {"a": 1}}, "small": "x"}, "additional-redacted-vars": "X", "default-metadata": {"labels": {"a": 1}}})).to.equal("default-metadata.labels.a: Invalid input: expected string, received number; additional-redacted-vars: Invalid input: expected array, received string; resource-classes.big.resource: Invalid input: expected record, received array; resource-classes.big.nodeSelector.a: Invalid input: expected string, received number; resource-classes.small: Invalid input: expected object, received string");
    });
    it("loose objects and nested lists", () => {
      expect(problems(configSchema, {"workspace-volume": {"emptyDir": {}}, "agent-config": {"additional-hooks": [{"path": "", "volume": {"name": ""}}, 3]}})).to.equal("workspace-volume.name: Invalid input: expected string, received undefined; agent-config.additional-hooks[0].path: Too small: expected string to have >=1 characters; agent-config.additional-hooks[0].volume.name: Too small: expected string to have >=1 characters; agent-config.additional-hooks[1]: Invalid input: expected object, received number");
    });
  });

  describe("plugin messages", () => {
    it("the golden case", () => {
      expect(problems(kubernetesPluginSchema, {"checkout": {"skip": "yes"}, "commandParams": {"interposer": "bash"}, "unknownThing": 1})).to.equal("checkout.skip: Invalid input: expected boolean, received string; commandParams.interposer: Invalid option: expected one of \"buildkite\"|\"vector\"|\"legacy\"|\"\"; unknownThing: unknown key");
    });
    it("sidecars", () => {
      expect(problems(kubernetesPluginSchema, {"sidecars": [{"image": ""}, {"name": 3, "image": "redis", "command": "x"}, "s"]})).to.equal("sidecars[0].image: Too small: expected string to have >=1 characters; sidecars[1].name: Invalid input: expected string, received number; sidecars[1].command: Invalid input: expected array, received string; sidecars[2]: Invalid input: expected object, received string");
    });
    it("deeper fields", () => {
      expect(problems(kubernetesPluginSchema, {"checkout": {"gitMirrors": {"lockTimeout": -1, "volume": {"name": ""}}, "gitCredentialsSecret": {}}, "jobActiveDeadlineSeconds": 1.5, "metadata": {"labels": []}})).to.equal("metadata.labels: Invalid input: expected record, received array; checkout.gitMirrors.volume.name: Too small: expected string to have >=1 characters; checkout.gitMirrors.lockTimeout: Too small: expected number to be >=0; checkout.gitCredentialsSecret.secretName: Invalid input: expected string, received undefined; jobActiveDeadlineSeconds: Invalid input: expected int, received number");
    });
  });

  describe("values", () => {
    it("fills defaults, keeps a present loose object's extra keys after its own, and gives an absent defaulted optional its default", () => {
      const parsed = configSchema.parse({ "agent-config": {}, "workspace-volume": { emptyDir: {}, name: "w" }, "poll-interval": "2s" });
      expect(JSON.stringify(parsed)).to.equal("{\"debug\":false,\"log-level\":\"info\",\"log-format\":\"json\",\"no-color\":false,\"log-http-payloads\":false,\"prometheus-port\":0,\"id\":\"\",\"namespace\":\"default\",\"agent-token-secret\":\"buildkite-agent-token\",\"image\":\"ghcr.io/buildkite/agent:3.136.2\",\"queue\":\"\",\"tags\":[],\"max-in-flight\":25,\"job-creation-concurrency\":25,\"work-queue-limit\":1000000,\"poll-interval\":2,\"http-timeout\":60,\"pagination-page-size\":1000,\"pagination-depth-limit\":2,\"query-reset-interval\":10,\"enable-queue-pause\":true,\"reservation-expiry-seconds\":60,\"image-pull-backoff-grace-period\":30,\"job-cancel-checker-poll-interval\":5,\"empty-job-grace-period\":30,\"pod-pending-timeout\":900,\"enable-completion-watcher\":true,\"k8s-client-rate-limiter-qps\":10,\"k8s-client-rate-limiter-burst\":20,\"prohibit-kubernetes-plugin\":false,\"job-creation-timeout\":600,\"job-prefix\":\"buildkite-\",\"job-ttl\":600,\"job-active-deadline-seconds\":21600,\"default-termination-grace-period-seconds\":60,\"default-image-pull-policy\":\"\",\"default-image-check-pull-policy\":\"\",\"skip-image-check-containers\":false,\"image-check-container-cpu-limit\":\"200m\",\"image-check-container-memory-limit\":\"128Mi\",\"allow-pod-spec-patch-unsafe-command-modification\":false,\"workspace-volume\":{\"name\":\"w\",\"emptyDir\":{}},\"workspace-mount-sub-path-expr\":\"\",\"non-root-workspace\":\"chown\",\"agent-config\":{\"container-start-timeout\":0},\"default-metadata\":{},\"additional-redacted-vars\":[],\"default-resource-class-name\":\"\"}");
    });

    it("puts a sidecar's or mount's known keys first, as they were declared", () => {
      const parsed = kubernetesPluginSchema.parse({ sidecars: [{ env: [], image: "redis", name: "r" }], extraVolumeMounts: [{ readOnly: true, mountPath: "/m", name: "m" }] });
      expect(JSON.stringify(parsed)).to.equal("{\"sidecars\":[{\"name\":\"r\",\"image\":\"redis\",\"env\":[]}],\"extraVolumeMounts\":[{\"name\":\"m\",\"mountPath\":\"/m\",\"readOnly\":true}]}");
    });

    it("gives every default of an empty file", () => {
      expect(JSON.stringify(configSchema.parse({}))).to.equal("{\"debug\":false,\"log-level\":\"info\",\"log-format\":\"json\",\"no-color\":false,\"log-http-payloads\":false,\"prometheus-port\":0,\"id\":\"\",\"namespace\":\"default\",\"agent-token-secret\":\"buildkite-agent-token\",\"image\":\"ghcr.io/buildkite/agent:3.136.2\",\"queue\":\"\",\"tags\":[],\"max-in-flight\":25,\"job-creation-concurrency\":25,\"work-queue-limit\":1000000,\"poll-interval\":1,\"http-timeout\":60,\"pagination-page-size\":1000,\"pagination-depth-limit\":2,\"query-reset-interval\":10,\"enable-queue-pause\":true,\"reservation-expiry-seconds\":60,\"image-pull-backoff-grace-period\":30,\"job-cancel-checker-poll-interval\":5,\"empty-job-grace-period\":30,\"pod-pending-timeout\":900,\"enable-completion-watcher\":true,\"k8s-client-rate-limiter-qps\":10,\"k8s-client-rate-limiter-burst\":20,\"prohibit-kubernetes-plugin\":false,\"job-creation-timeout\":600,\"job-prefix\":\"buildkite-\",\"job-ttl\":600,\"job-active-deadline-seconds\":21600,\"default-termination-grace-period-seconds\":60,\"default-image-pull-policy\":\"\",\"default-image-check-pull-policy\":\"\",\"skip-image-check-containers\":false,\"image-check-container-cpu-limit\":\"200m\",\"image-check-container-memory-limit\":\"128Mi\",\"allow-pod-spec-patch-unsafe-command-modification\":false,\"workspace-mount-sub-path-expr\":\"\",\"non-root-workspace\":\"chown\",\"default-metadata\":{},\"additional-redacted-vars\":[],\"default-resource-class-name\":\"\"}");
    });

    it("drops an own __proto__ key of a record and of a loose object, and refuses it in a strict one", () => {
      const plugin = JSON.parse('{"podSpecPatch": {"__proto__": {"x": 1}, "a": 1}, "extraVolumeMounts": [{"__proto__": 1, "name": "m", "mountPath": "/m"}]}') as unknown;
      expect(JSON.stringify(kubernetesPluginSchema.parse(plugin))).to.equal('{"podSpecPatch":{"a":1},"extraVolumeMounts":[{"name":"m","mountPath":"/m"}]}');
      expect(problems(kubernetesPluginSchema, JSON.parse('{"__proto__": 1}'))).to.equal("__proto__: unknown key");
    });
  });
});
