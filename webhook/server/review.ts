// The AdmissionReview wire types (admission.k8s.io/v1 and v1beta1 share one shape).
// Neither kubernetes-types nor @kubernetes/client-node ship them, so they are written
// out here, with only the fields this webhook reads or writes.
export const ADMISSION_V1 = "admission.k8s.io/v1";
export const ADMISSION_V1BETA1 = "admission.k8s.io/v1beta1";
export type AdmissionApiVersion = typeof ADMISSION_V1 | typeof ADMISSION_V1BETA1;

export function isAdmissionApiVersion(value: unknown): value is AdmissionApiVersion {
  return value === ADMISSION_V1 || value === ADMISSION_V1BETA1;
}

/** A metav1.Status, as the apiserver reads it from a rejection. */
export interface ReviewStatus {
  status: "Failure";
  code: number;
  reason: string;
  message: string;
}

/**
 * Field order here is the order on the wire (tests compare bytes): the apiserver
 * requires `patch` and `patchType` together, so the builders in response.ts set both or neither.
 */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: ReviewStatus;
  patchType?: "JSONPatch";
  patch?: string;
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewAnswer {
  apiVersion: AdmissionApiVersion;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}
