// Small k8s.io/api (v1.36) types shared by several PodSpec fields, transcribed with their JSON
// shapes and patch tags (only ObjectMeta, inside ephemeral volume templates, has any).
import {
  anyJson, atomicList, bool, int, mapOf, mergeList, qty, setList, str, strList, struct,
} from "./schema.ts";

export const localObjectReference = struct("LocalObjectReference", { name: str });

export const objectFieldSelector = struct("ObjectFieldSelector", { apiVersion: str, fieldPath: str });

export const resourceFieldSelector = struct("ResourceFieldSelector", {
  containerName: str, resource: str, divisor: qty,
});

export const keyToPath = struct("KeyToPath", { key: str, path: str, mode: int });

export const labelSelector = struct("LabelSelector", {
  matchLabels: mapOf(str),
  matchExpressions: atomicList(struct("LabelSelectorRequirement", { key: str, operator: str, values: strList })),
});

export const typedLocalObjectReference = struct("TypedLocalObjectReference", {
  apiGroup: str, kind: str, name: str,
});

export const typedObjectReference = struct("TypedObjectReference", {
  apiGroup: str, kind: str, name: str, namespace: str,
});

const ownerReference = struct("OwnerReference", {
  apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool,
});

const managedFieldsEntry = struct("ManagedFieldsEntry", {
  manager: str, operation: str, apiVersion: str, time: str, fieldsType: str, fieldsV1: anyJson, subresource: str,
});

/** metav1.ObjectMeta: timestamps are RFC 3339 strings on the wire. */
export const objectMeta = struct("ObjectMeta", {
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  deletionTimestamp: str,
  deletionGracePeriodSeconds: int,
  labels: mapOf(str),
  annotations: mapOf(str),
  ownerReferences: mergeList("uid", ownerReference),
  finalizers: setList(str),
  managedFields: atomicList(managedFieldsEntry),
});
