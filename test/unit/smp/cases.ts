// Differential cases: PodSpec strategic merge patches and the result that apimachinery v0.36's
// strategic merge patch (the code behind kube-apiserver's PATCH) gives for them, checked against
// that library. Used by the unit tests here and meant to be replayed against a real API server.
// Every original and expected spec is a valid pod template spec: images are tagged (so
// imagePullPolicy defaults alike), mounts name existing volumes, and no expected result holds
// nulls, directives, empty strings or empty lists, which the server drops when decoding. The
// server does add defaults (terminationMessagePath, protocol, ...): compare its patched spec with
// a server-side dry-run create of `expected`, not with `expected` itself.
import type { JsonObject } from "../../../webhook/core/json.ts";

export interface SmpCase {
  readonly name: string;
  readonly original: JsonObject;
  readonly patch: JsonObject;
  readonly expected: JsonObject;
}

const img = "busybox:1.36";
const app = (extra: JsonObject = {}): JsonObject => ({ name: "app", image: img, ...extra });
const side = (extra: JsonObject = {}): JsonObject => ({ name: "side", image: "alpine:3.20", ...extra });
const env = (...pairs: [string, string][]): JsonObject[] => pairs.map(([name, value]) => ({ name, value }));

export const smpCases: readonly SmpCase[] = [
  // --- env: merged by name ---
  {
    name: "env: a new variable goes in front of the existing ones",
    original: { containers: [app({ env: env(["A", "1"], ["B", "2"]) })] },
    patch: { containers: [{ name: "app", env: env(["C", "3"]) }] },
    expected: { containers: [app({ env: env(["C", "3"], ["A", "1"], ["B", "2"]) })] },
  },
  {
    name: "env: an existing variable is updated in place",
    original: { containers: [app({ env: env(["A", "1"], ["B", "2"], ["C", "3"]) })] },
    patch: { containers: [{ name: "app", env: env(["B", "20"]) }] },
    expected: { containers: [app({ env: env(["A", "1"], ["B", "20"], ["C", "3"]) })] },
  },
  {
    name: "env: null drops value while valueFrom is added",
    original: { containers: [app({ env: env(["POD", "x"], ["B", "2"]) })] },
    patch: { containers: [{ name: "app", env: [{ name: "POD", value: null, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } }] }] },
    expected: { containers: [app({ env: [{ name: "POD", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } }, { name: "B", value: "2" }] })] },
  },
  {
    name: "env: $patch delete removes a variable",
    original: { containers: [app({ env: env(["A", "1"], ["B", "2"], ["C", "3"]) })] },
    patch: { containers: [{ name: "app", env: [{ name: "B", $patch: "delete" }] }] },
    expected: { containers: [app({ env: env(["A", "1"], ["C", "3"]) })] },
  },
  {
    name: "env: a new variable follows the updated one it is listed after",
    original: { containers: [app({ env: env(["A", "1"], ["B", "2"], ["C", "3"]) })] },
    patch: { containers: [{ name: "app", env: env(["B", "20"], ["N", "9"]) }] },
    expected: { containers: [app({ env: env(["A", "1"], ["B", "20"], ["N", "9"], ["C", "3"]) })] },
  },
  {
    name: "env: patch order wins over original order for listed items",
    original: { containers: [app({ env: env(["A", "1"], ["B", "2"], ["C", "3"]) })] },
    patch: { containers: [{ name: "app", env: env(["N", "9"], ["C", "30"], ["A", "10"]) }] },
    expected: { containers: [app({ env: env(["N", "9"], ["B", "2"], ["C", "30"], ["A", "10"]) })] },
  },
  {
    name: "envFrom: no merge key, so the list is replaced",
    original: { containers: [app({ envFrom: [{ configMapRef: { name: "a" } }, { secretRef: { name: "b" } }] })] },
    patch: { containers: [{ name: "app", envFrom: [{ prefix: "X_", configMapRef: { name: "c" } }] }] },
    expected: { containers: [app({ envFrom: [{ prefix: "X_", configMapRef: { name: "c" } }] })] },
  },
  // --- containers: merged by name ---
  {
    name: "containers: a new sidecar goes in front",
    original: { containers: [app()] },
    patch: { containers: [side()] },
    expected: { containers: [side(), app()] },
  },
  {
    name: "containers: one container's image is changed by name",
    original: { containers: [app(), side()] },
    patch: { containers: [{ name: "side", image: "alpine:3.21" }] },
    expected: { containers: [app(), side({ image: "alpine:3.21" })] },
  },
  {
    name: "containers: an updated and a new container",
    original: { containers: [app(), side()] },
    patch: { containers: [{ name: "side", workingDir: "/w" }, { name: "extra", image: img, args: ["sleep", "1"] }] },
    expected: { containers: [app(), side({ workingDir: "/w" }), { name: "extra", image: img, args: ["sleep", "1"] }] },
  },
  {
    name: "containers: $patch delete removes a container",
    original: { containers: [app(), side()] },
    patch: { containers: [{ name: "app", $patch: "delete" }] },
    expected: { containers: [side()] },
  },
  {
    name: "containers: a $patch replace element replaces the whole list",
    original: { containers: [app({ env: env(["A", "1"]) }), side()] },
    patch: { containers: [{ $patch: "replace" }, { name: "only", image: img }] },
    expected: { containers: [{ name: "only", image: img }] },
  },
  {
    name: "initContainers: added whole when absent, nulls dropped",
    original: { containers: [app()] },
    patch: { initContainers: [{ name: "init", image: img, command: ["true"], workingDir: null }] },
    expected: { containers: [app()], initContainers: [{ name: "init", image: img, command: ["true"] }] },
  },
  {
    name: "$setElementOrder/containers reorders containers",
    original: { containers: [app(), side()] },
    patch: { "$setElementOrder/containers": [{ name: "side" }, { name: "app" }] },
    expected: { containers: [side(), app()] },
  },
  {
    name: "$setElementOrder/env orders updated, new and untouched variables",
    original: { containers: [app({ env: env(["A", "1"], ["B", "2"]) })] },
    patch: { containers: [{ name: "app", "$setElementOrder/env": [{ name: "B" }, { name: "N" }, { name: "A" }], env: env(["B", "20"], ["N", "9"]) }] },
    expected: { containers: [app({ env: env(["B", "20"], ["N", "9"], ["A", "1"]) })] },
  },
  {
    name: "$setElementOrder/env with a deletion and a server-only variable (kubectl apply shape)",
    original: { containers: [app({ env: env(["A", "1"], ["S", "2"], ["B", "3"]) })] },
    patch: {
      containers: [{
        name: "app",
        "$setElementOrder/env": [{ name: "A" }, { name: "N" }],
        env: [{ name: "B", $patch: "delete" }, { name: "N", value: "9" }],
      }],
    },
    // apimachinery appends N into the slot B's deletion freed, so N counts as "after S" here.
    expected: { containers: [app({ env: env(["A", "1"], ["S", "2"], ["N", "9"]) })] },
  },
  // --- volumes (by name) and mounts (by mountPath) ---
  {
    name: "volumes and volumeMounts: a new volume and mount go in front",
    original: { volumes: [{ name: "data", emptyDir: {} }], containers: [app({ volumeMounts: [{ name: "data", mountPath: "/data" }] })] },
    patch: {
      volumes: [{ name: "cache", emptyDir: { medium: "Memory" } }],
      containers: [{ name: "app", volumeMounts: [{ name: "cache", mountPath: "/cache" }] }],
    },
    expected: {
      volumes: [{ name: "cache", emptyDir: { medium: "Memory" } }, { name: "data", emptyDir: {} }],
      containers: [app({ volumeMounts: [{ name: "cache", mountPath: "/cache" }, { name: "data", mountPath: "/data" }] })],
    },
  },
  {
    name: "volumes: $retainKeys switches the volume source",
    original: { volumes: [{ name: "cfg", emptyDir: {} }], containers: [app({ volumeMounts: [{ name: "cfg", mountPath: "/cfg" }] })] },
    patch: { volumes: [{ name: "cfg", $retainKeys: ["name", "configMap"], configMap: { name: "app-config", defaultMode: 420 } }] },
    expected: {
      volumes: [{ name: "cfg", configMap: { name: "app-config", defaultMode: 420 } }],
      containers: [app({ volumeMounts: [{ name: "cfg", mountPath: "/cfg" }] })],
    },
  },
  {
    name: "volumes and volumeMounts: $patch delete by merge key",
    original: {
      volumes: [{ name: "data", emptyDir: {} }, { name: "cache", emptyDir: {} }],
      containers: [app({ volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "cache", mountPath: "/cache" }] })],
    },
    patch: {
      volumes: [{ name: "cache", $patch: "delete" }],
      containers: [{ name: "app", volumeMounts: [{ mountPath: "/cache", $patch: "delete" }] }],
    },
    expected: { volumes: [{ name: "data", emptyDir: {} }], containers: [app({ volumeMounts: [{ name: "data", mountPath: "/data" }] })] },
  },
  {
    name: "volumeMounts: merged by mountPath, not by name",
    original: {
      volumes: [{ name: "data", emptyDir: {} }],
      containers: [app({ volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "data", mountPath: "/logs", subPath: "logs" }] })],
    },
    patch: { containers: [{ name: "app", volumeMounts: [{ mountPath: "/logs", readOnly: true }] }] },
    expected: {
      volumes: [{ name: "data", emptyDir: {} }],
      containers: [app({ volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "data", mountPath: "/logs", subPath: "logs", readOnly: true }] })],
    },
  },
  // --- ports: merged by containerPort ---
  {
    name: "ports: a new port goes in front, an existing one is merged",
    original: { containers: [app({ ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }, { containerPort: 8443, name: "https", protocol: "TCP" }] })] },
    patch: { containers: [{ name: "app", ports: [{ containerPort: 9090, name: "metrics", protocol: "TCP" }, { containerPort: 8443, name: "tls" }] }] },
    expected: {
      // 9090 is not in the original, so it is placed before 8080, which precedes 8443 there.
      containers: [app({ ports: [{ containerPort: 9090, name: "metrics", protocol: "TCP" }, { containerPort: 8080, name: "http", protocol: "TCP" }, { containerPort: 8443, name: "tls", protocol: "TCP" }] })],
    },
  },
  // --- lists without a patch strategy ---
  {
    name: "tolerations: no merge key, so the list is replaced",
    original: { containers: [app()], tolerations: [{ key: "a", operator: "Exists", effect: "NoSchedule" }] },
    patch: { tolerations: [{ key: "b", operator: "Equal", value: "x", effect: "NoExecute", tolerationSeconds: 60 }] },
    expected: { containers: [app()], tolerations: [{ key: "b", operator: "Equal", value: "x", effect: "NoExecute", tolerationSeconds: 60 }] },
  },
  {
    name: "tolerations: null removes the field",
    original: { containers: [app()], tolerations: [{ key: "a", operator: "Exists" }] },
    patch: { tolerations: null },
    expected: { containers: [app()] },
  },
  {
    name: "args: a list of scalars without a strategy is replaced",
    original: { containers: [app({ command: ["sh", "-c"], args: ["echo a", "echo b"] })] },
    patch: { containers: [{ name: "app", args: ["echo c"] }] },
    expected: { containers: [app({ command: ["sh", "-c"], args: ["echo c"] })] },
  },
  {
    name: "command: null removes the field",
    original: { containers: [app({ command: ["sleep"], args: ["1"] })] },
    patch: { containers: [{ name: "app", command: null }] },
    expected: { containers: [app({ args: ["1"] })] },
  },
  {
    name: "readinessGates: replaced whole",
    original: { containers: [app()], readinessGates: [{ conditionType: "example.com/a" }] },
    patch: { readinessGates: [{ conditionType: "example.com/b" }] },
    expected: { containers: [app()], readinessGates: [{ conditionType: "example.com/b" }] },
  },
  {
    name: "affinity: objects merge, nodeSelectorTerms are replaced",
    original: {
      containers: [app()],
      affinity: { nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["a"] }] }] },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }],
      } },
    },
    patch: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["ci"] }] }] } } } },
    expected: {
      containers: [app()],
      affinity: { nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "pool", operator: "In", values: ["ci"] }] }] },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }],
      } },
    },
  },
  {
    name: "dnsConfig: merged as an object, its lists replaced",
    original: { containers: [app()], dnsConfig: { nameservers: ["192.0.2.53"], searches: ["a.example"], options: [{ name: "ndots", value: "2" }] } },
    patch: { dnsConfig: { options: [{ name: "ndots", value: "5" }, { name: "edns0" }] } },
    expected: { containers: [app()], dnsConfig: { nameservers: ["192.0.2.53"], searches: ["a.example"], options: [{ name: "ndots", value: "5" }, { name: "edns0" }] } },
  },
  // --- other lists with merge keys ---
  {
    name: "imagePullSecrets: merged by name",
    original: { containers: [app()], imagePullSecrets: [{ name: "regcred" }] },
    patch: { imagePullSecrets: [{ name: "other" }, { name: "regcred" }] },
    expected: { containers: [app()], imagePullSecrets: [{ name: "other" }, { name: "regcred" }] },
  },
  {
    name: "hostAliases: merged by ip, hostnames replaced",
    original: { containers: [app()], hostAliases: [{ ip: "192.0.2.1", hostnames: ["a.example"] }, { ip: "192.0.2.2", hostnames: ["b.example"] }] },
    patch: { hostAliases: [{ ip: "192.0.2.2", hostnames: ["c.example"] }] },
    expected: { containers: [app()], hostAliases: [{ ip: "192.0.2.1", hostnames: ["a.example"] }, { ip: "192.0.2.2", hostnames: ["c.example"] }] },
  },
  {
    name: "topologySpreadConstraints: merged by topologyKey",
    original: {
      containers: [app()],
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "ci" } } }],
    },
    patch: { topologySpreadConstraints: [{ topologyKey: "topology.kubernetes.io/zone", maxSkew: 2 }, { topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" }] },
    expected: {
      containers: [app()],
      topologySpreadConstraints: [
        { maxSkew: 2, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "ci" } } },
        { topologyKey: "kubernetes.io/hostname", maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" },
      ],
    },
  },
  {
    name: "schedulingGates: merged by name",
    original: { containers: [app()], schedulingGates: [{ name: "example.com/a" }] },
    patch: { schedulingGates: [{ name: "example.com/b" }] },
    expected: { containers: [app()], schedulingGates: [{ name: "example.com/b" }, { name: "example.com/a" }] },
  },
  // --- maps and nested objects ---
  {
    name: "nodeSelector: keys merge and null deletes a key",
    original: { containers: [app()], nodeSelector: { zone: "a", disk: "ssd" } },
    patch: { nodeSelector: { zone: "b", disk: null, arch: "amd64" } },
    expected: { containers: [app()], nodeSelector: { zone: "b", arch: "amd64" } },
  },
  {
    name: "nodeSelector: $patch replace drops the other keys",
    original: { containers: [app()], nodeSelector: { zone: "a", disk: "ssd" } },
    patch: { nodeSelector: { $patch: "replace", pool: "ci" } },
    expected: { containers: [app()], nodeSelector: { pool: "ci" } },
  },
  {
    name: "resources: limits and requests merge per resource, null deletes one",
    original: {
      containers: [app({ resources: {
        limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "2Gi" },
        requests: { cpu: "500m", memory: "512Mi", "ephemeral-storage": "1Gi" },
      } })],
    },
    patch: { containers: [{ name: "app", resources: { limits: { cpu: "2", "ephemeral-storage": null }, requests: { "ephemeral-storage": null } } }] },
    expected: { containers: [app({ resources: { limits: { cpu: "2", memory: "1Gi" }, requests: { cpu: "500m", memory: "512Mi" } } })] },
  },
  {
    name: "container securityContext: nested objects merge, lists in them are replaced",
    original: { containers: [app({ securityContext: { runAsNonRoot: true, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } } })] },
    patch: { containers: [{ name: "app", securityContext: { capabilities: { add: ["SYS_PTRACE"] }, readOnlyRootFilesystem: true } }] },
    expected: {
      containers: [app({ securityContext: { runAsNonRoot: true, capabilities: { drop: ["ALL"], add: ["SYS_PTRACE"] }, readOnlyRootFilesystem: true } })],
    },
  },
  {
    name: "pod securityContext: null deletes a field, others merge",
    original: { containers: [app()], securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000 } },
    patch: { securityContext: { runAsGroup: null, fsGroup: 3000, seccompProfile: { type: "RuntimeDefault" } } },
    expected: { containers: [app()], securityContext: { runAsUser: 1000, fsGroup: 3000, seccompProfile: { type: "RuntimeDefault" } } },
  },
  {
    name: "container securityContext: $patch delete leaves an empty object",
    original: { containers: [app({ securityContext: { privileged: true, runAsUser: 0 } })] },
    patch: { containers: [{ name: "app", securityContext: { $patch: "delete" } }] },
    expected: { containers: [app({ securityContext: {} })] },
  },
  {
    name: "livenessProbe: null drops the old handler while a new one merges in",
    original: {
      containers: [app({ livenessProbe: {
        httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3,
      } })],
    },
    patch: { containers: [{ name: "app", livenessProbe: { httpGet: null, exec: { command: ["true"] }, periodSeconds: 5 } }] },
    expected: {
      containers: [app({ livenessProbe: { exec: { command: ["true"] }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } })],
    },
  },
  {
    name: "lifecycle: a new handler merges next to the existing one",
    original: { containers: [app({ lifecycle: { postStart: { exec: { command: ["echo", "start"] } } } })] },
    patch: { containers: [{ name: "app", lifecycle: { preStop: { exec: { command: ["echo", "stop"] } } } }] },
    expected: { containers: [app({ lifecycle: { postStart: { exec: { command: ["echo", "start"] } }, preStop: { exec: { command: ["echo", "stop"] } } } })] },
  },
  {
    name: "scalars: replaced, added and deleted",
    original: { containers: [app()], terminationGracePeriodSeconds: 30, serviceAccountName: "default", activeDeadlineSeconds: 600 },
    patch: { terminationGracePeriodSeconds: 5, activeDeadlineSeconds: null, subdomain: "ci", hostname: "builder" },
    expected: { containers: [app()], terminationGracePeriodSeconds: 5, serviceAccountName: "default", subdomain: "ci", hostname: "builder" },
  },
];
