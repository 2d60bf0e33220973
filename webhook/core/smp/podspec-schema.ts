// core/v1 PodSpec (k8s.io/api v1.36) for strategic merge patch: the JSON shape of every field and
// the patch tags of its lists. Lists without a `patchStrategy` tag (tolerations, envFrom,
// resizePolicy, readinessGates, ...) are atomic: a patch replaces them whole.
import {
  atomicList, bool, int, intOrStr, mapOf, mergeList, qty, str, strList, struct,
} from "./schema.ts";
import type { StructSchema } from "./schema.ts";
import {
  labelSelector, localObjectReference, objectFieldSelector, resourceFieldSelector,
} from "./common-schema.ts";
import { volume } from "./volume-schema.ts";

const selector = (name: string) => struct(name, { name: str, key: str, optional: bool });

const envVar = struct("EnvVar", {
  name: str,
  value: str,
  valueFrom: struct("EnvVarSource", {
    fieldRef: objectFieldSelector,
    resourceFieldRef: resourceFieldSelector,
    configMapKeyRef: selector("ConfigMapKeySelector"),
    secretKeyRef: selector("SecretKeySelector"),
    fileKeyRef: struct("FileKeySelector", { volumeName: str, path: str, key: str, optional: bool }),
  }),
});

const envFromSource = struct("EnvFromSource", {
  prefix: str,
  configMapRef: struct("ConfigMapEnvSource", { name: str, optional: bool }),
  secretRef: struct("SecretEnvSource", { name: str, optional: bool }),
});

const resourceRequirements = struct("ResourceRequirements", {
  limits: mapOf(qty),
  requests: mapOf(qty),
  // claims has listType=map for server-side apply but no patch strategy: atomic here.
  claims: atomicList(struct("ResourceClaim", { name: str, request: str })),
});

const execAction = struct("ExecAction", { command: strList });
const httpGetAction = struct("HTTPGetAction", {
  path: str, port: intOrStr, host: str, scheme: str,
  httpHeaders: atomicList(struct("HTTPHeader", { name: str, value: str })),
});
const tcpSocketAction = struct("TCPSocketAction", { port: intOrStr, host: str });

const probe = struct("Probe", {
  exec: execAction,
  httpGet: httpGetAction,
  tcpSocket: tcpSocketAction,
  grpc: struct("GRPCAction", { port: int, service: str }),
  initialDelaySeconds: int,
  timeoutSeconds: int,
  periodSeconds: int,
  successThreshold: int,
  failureThreshold: int,
  terminationGracePeriodSeconds: int,
});

const lifecycleHandler = struct("LifecycleHandler", {
  exec: execAction, httpGet: httpGetAction, tcpSocket: tcpSocketAction, sleep: struct("SleepAction", { seconds: int }),
});

const seLinuxOptions = struct("SELinuxOptions", { user: str, role: str, type: str, level: str });
const windowsOptions = struct("WindowsSecurityContextOptions", {
  gmsaCredentialSpecName: str, gmsaCredentialSpec: str, runAsUserName: str, hostProcess: bool,
});
const seccompProfile = struct("SeccompProfile", { type: str, localhostProfile: str });
const appArmorProfile = struct("AppArmorProfile", { type: str, localhostProfile: str });

const securityContext = struct("SecurityContext", {
  capabilities: struct("Capabilities", { add: strList, drop: strList }),
  privileged: bool,
  seLinuxOptions,
  windowsOptions,
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  readOnlyRootFilesystem: bool,
  allowPrivilegeEscalation: bool,
  procMount: str,
  seccompProfile,
  appArmorProfile,
});

const containerFields = {
  name: str,
  image: str,
  command: strList,
  args: strList,
  workingDir: str,
  ports: mergeList("containerPort", struct("ContainerPort", {
    name: str, hostPort: int, containerPort: int, protocol: str, hostIP: str,
  })),
  envFrom: atomicList(envFromSource),
  env: mergeList("name", envVar),
  resources: resourceRequirements,
  resizePolicy: atomicList(struct("ContainerResizePolicy", { resourceName: str, restartPolicy: str })),
  restartPolicy: str,
  restartPolicyRules: atomicList(struct("ContainerRestartRule", {
    action: str,
    exitCodes: struct("ContainerRestartRuleOnExitCodes", { operator: str, values: atomicList(int) }),
  })),
  volumeMounts: mergeList("mountPath", struct("VolumeMount", {
    name: str, readOnly: bool, recursiveReadOnly: str, mountPath: str, subPath: str, mountPropagation: str,
    subPathExpr: str,
  })),
  volumeDevices: mergeList("devicePath", struct("VolumeDevice", { name: str, devicePath: str })),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: struct("Lifecycle", { postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: str }),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext,
  stdin: bool,
  stdinOnce: bool,
  tty: bool,
};

const container = struct("Container", containerFields);
const ephemeralContainer = struct("EphemeralContainer", { ...containerFields, targetContainerName: str });

const nodeSelectorTerm = struct("NodeSelectorTerm", {
  matchExpressions: atomicList(struct("NodeSelectorRequirement", { key: str, operator: str, values: strList })),
  matchFields: atomicList(struct("NodeSelectorRequirement", { key: str, operator: str, values: strList })),
});

const podAffinityTerm = struct("PodAffinityTerm", {
  labelSelector, namespaces: strList, topologyKey: str, namespaceSelector: labelSelector,
  matchLabelKeys: strList, mismatchLabelKeys: strList,
});

const podAffinityFields = {
  requiredDuringSchedulingIgnoredDuringExecution: atomicList(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: atomicList(struct("WeightedPodAffinityTerm", {
    weight: int, podAffinityTerm,
  })),
};

const affinity = struct("Affinity", {
  nodeAffinity: struct("NodeAffinity", {
    requiredDuringSchedulingIgnoredDuringExecution: struct("NodeSelector", {
      nodeSelectorTerms: atomicList(nodeSelectorTerm),
    }),
    preferredDuringSchedulingIgnoredDuringExecution: atomicList(struct("PreferredSchedulingTerm", {
      weight: int, preference: nodeSelectorTerm,
    })),
  }),
  podAffinity: struct("PodAffinity", podAffinityFields),
  podAntiAffinity: struct("PodAntiAffinity", podAffinityFields),
});

const podSecurityContext = struct("PodSecurityContext", {
  seLinuxOptions,
  windowsOptions,
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  supplementalGroups: atomicList(int),
  supplementalGroupsPolicy: str,
  fsGroup: int,
  sysctls: atomicList(struct("Sysctl", { name: str, value: str })),
  fsGroupChangePolicy: str,
  seccompProfile,
  appArmorProfile,
  seLinuxChangePolicy: str,
});

const topologySpreadConstraint = struct("TopologySpreadConstraint", {
  maxSkew: int, topologyKey: str, whenUnsatisfiable: str, labelSelector, minDomains: int,
  nodeAffinityPolicy: str, nodeTaintsPolicy: str, matchLabelKeys: strList,
});

export const podSpecSchema: StructSchema = struct("PodSpec", {
  // volumes and resourceClaims are tagged "merge,retainKeys"; retainKeys only matters when a
  // patch is computed (the applier honours a $retainKeys directive wherever it appears).
  volumes: mergeList("name", volume),
  initContainers: mergeList("name", container),
  containers: mergeList("name", container),
  ephemeralContainers: mergeList("name", ephemeralContainer),
  restartPolicy: str,
  terminationGracePeriodSeconds: int,
  activeDeadlineSeconds: int,
  dnsPolicy: str,
  nodeSelector: mapOf(str),
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  nodeName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: bool,
  securityContext: podSecurityContext,
  imagePullSecrets: mergeList("name", localObjectReference),
  hostname: str,
  subdomain: str,
  affinity,
  schedulerName: str,
  tolerations: atomicList(struct("Toleration", {
    key: str, operator: str, value: str, effect: str, tolerationSeconds: int,
  })),
  hostAliases: mergeList("ip", struct("HostAlias", { ip: str, hostnames: strList })),
  priorityClassName: str,
  priority: int,
  dnsConfig: struct("PodDNSConfig", {
    nameservers: strList, searches: strList,
    options: atomicList(struct("PodDNSConfigOption", { name: str, value: str })),
  }),
  readinessGates: atomicList(struct("PodReadinessGate", { conditionType: str })),
  runtimeClassName: str,
  enableServiceLinks: bool,
  preemptionPolicy: str,
  overhead: mapOf(qty),
  // The Go tag keys on topologyKey alone (SMP has no compound keys; SSA also uses whenUnsatisfiable).
  topologySpreadConstraints: mergeList("topologyKey", topologySpreadConstraint),
  setHostnameAsFQDN: bool,
  os: struct("PodOS", { name: str }),
  hostUsers: bool,
  schedulingGates: mergeList("name", struct("PodSchedulingGate", { name: str })),
  resourceClaims: mergeList("name", struct("PodResourceClaim", {
    name: str, resourceClaimName: str, resourceClaimTemplateName: str,
  })),
  resources: resourceRequirements,
  hostnameOverride: str,
  schedulingGroup: struct("PodSchedulingGroup", { podGroupName: str }),
});
