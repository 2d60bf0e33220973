// The few Kubernetes shapes the core reads and writes. They are views onto plain JSON:
// every other field is kept as it came (`[key: string]: unknown`), never dropped.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPathExpr?: string;
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  [key: string]: unknown;
}

export interface EnvFromSource {
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: string;
  restartPolicy?: string;
  securityContext?: Record<string, unknown>;
  resources?: ResourceRequirements;
  [key: string]: unknown;
}

export interface ResourceRequirements {
  requests?: Record<string, unknown>;
  limits?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: PodSecurityContext;
  nodeSelector?: Record<string, string>;
  resources?: ResourceRequirements;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface Job {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    template: { metadata?: ObjectMeta; spec: PodSpec; [key: string]: unknown };
    backoffLimit?: number;
    suspend?: boolean;
    ttlSecondsAfterFinished?: number;
    activeDeadlineSeconds?: number;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}
