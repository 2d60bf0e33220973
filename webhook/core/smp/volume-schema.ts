// core/v1 Volume and its volume sources (k8s.io/api v1.36) for strategic merge patch. None of
// these carries a patch strategy, so every list in here is atomic.
import {
  atomicList, bool, int, mapOf, qty, str, strList, struct,
} from "./schema.ts";
import {
  keyToPath, labelSelector, localObjectReference, objectFieldSelector, objectMeta,
  resourceFieldSelector, typedLocalObjectReference, typedObjectReference,
} from "./common-schema.ts";

const keyToPaths = atomicList(keyToPath);
const fsRo = { fsType: str, readOnly: bool };

const downwardAPIVolumeFile = struct("DownwardAPIVolumeFile", {
  path: str, fieldRef: objectFieldSelector, resourceFieldRef: resourceFieldSelector, mode: int,
});

const volumeProjection = struct("VolumeProjection", {
  secret: struct("SecretProjection", { name: str, items: keyToPaths, optional: bool }),
  downwardAPI: struct("DownwardAPIProjection", { items: atomicList(downwardAPIVolumeFile) }),
  configMap: struct("ConfigMapProjection", { name: str, items: keyToPaths, optional: bool }),
  serviceAccountToken: struct("ServiceAccountTokenProjection", { audience: str, expirationSeconds: int, path: str }),
  clusterTrustBundle: struct("ClusterTrustBundleProjection", {
    name: str, signerName: str, labelSelector, optional: bool, path: str,
  }),
  podCertificate: struct("PodCertificateProjection", {
    signerName: str, keyType: str, maxExpirationSeconds: int, credentialBundlePath: str, keyPath: str,
    certificateChainPath: str, userAnnotations: mapOf(str),
  }),
});

const persistentVolumeClaimSpec = struct("PersistentVolumeClaimSpec", {
  accessModes: strList,
  selector: labelSelector,
  resources: struct("VolumeResourceRequirements", { limits: mapOf(qty), requests: mapOf(qty) }),
  volumeName: str,
  storageClassName: str,
  volumeMode: str,
  dataSource: typedLocalObjectReference,
  dataSourceRef: typedObjectReference,
  volumeAttributesClassName: str,
});

/** Volume: `name` plus the inlined VolumeSource (exactly one source set). */
export const volume = struct("Volume", {
  name: str,
  hostPath: struct("HostPathVolumeSource", { path: str, type: str }),
  emptyDir: struct("EmptyDirVolumeSource", { medium: str, sizeLimit: qty }),
  gcePersistentDisk: struct("GCEPersistentDiskVolumeSource", { pdName: str, partition: int, ...fsRo }),
  awsElasticBlockStore: struct("AWSElasticBlockStoreVolumeSource", { volumeID: str, partition: int, ...fsRo }),
  gitRepo: struct("GitRepoVolumeSource", { repository: str, revision: str, directory: str }),
  secret: struct("SecretVolumeSource", { secretName: str, items: keyToPaths, defaultMode: int, optional: bool }),
  nfs: struct("NFSVolumeSource", { server: str, path: str, readOnly: bool }),
  iscsi: struct("ISCSIVolumeSource", {
    targetPortal: str, iqn: str, lun: int, iscsiInterface: str, ...fsRo, portals: strList,
    chapAuthDiscovery: bool, chapAuthSession: bool, secretRef: localObjectReference, initiatorName: str,
  }),
  glusterfs: struct("GlusterfsVolumeSource", { endpoints: str, path: str, readOnly: bool }),
  persistentVolumeClaim: struct("PersistentVolumeClaimVolumeSource", { claimName: str, readOnly: bool }),
  rbd: struct("RBDVolumeSource", {
    monitors: strList, image: str, pool: str, user: str, keyring: str, secretRef: localObjectReference, ...fsRo,
  }),
  flexVolume: struct("FlexVolumeSource", {
    driver: str, secretRef: localObjectReference, options: mapOf(str), ...fsRo,
  }),
  cinder: struct("CinderVolumeSource", { volumeID: str, secretRef: localObjectReference, ...fsRo }),
  cephfs: struct("CephFSVolumeSource", {
    monitors: strList, path: str, user: str, secretFile: str, secretRef: localObjectReference, readOnly: bool,
  }),
  flocker: struct("FlockerVolumeSource", { datasetName: str, datasetUUID: str }),
  downwardAPI: struct("DownwardAPIVolumeSource", { items: atomicList(downwardAPIVolumeFile), defaultMode: int }),
  fc: struct("FCVolumeSource", { targetWWNs: strList, lun: int, wwids: strList, ...fsRo }),
  azureFile: struct("AzureFileVolumeSource", { secretName: str, shareName: str, readOnly: bool }),
  configMap: struct("ConfigMapVolumeSource", { name: str, items: keyToPaths, defaultMode: int, optional: bool }),
  vsphereVolume: struct("VsphereVirtualDiskVolumeSource", {
    volumePath: str, fsType: str, storagePolicyName: str, storagePolicyID: str,
  }),
  quobyte: struct("QuobyteVolumeSource", {
    registry: str, volume: str, readOnly: bool, user: str, group: str, tenant: str,
  }),
  azureDisk: struct("AzureDiskVolumeSource", { diskName: str, diskURI: str, cachingMode: str, kind: str, ...fsRo }),
  photonPersistentDisk: struct("PhotonPersistentDiskVolumeSource", { pdID: str, fsType: str }),
  projected: struct("ProjectedVolumeSource", { sources: atomicList(volumeProjection), defaultMode: int }),
  portworxVolume: struct("PortworxVolumeSource", { volumeID: str, ...fsRo }),
  scaleIO: struct("ScaleIOVolumeSource", {
    gateway: str, system: str, secretRef: localObjectReference, sslEnabled: bool, protectionDomain: str,
    storagePool: str, storageMode: str, volumeName: str, ...fsRo,
  }),
  storageos: struct("StorageOSVolumeSource", {
    volumeName: str, volumeNamespace: str, secretRef: localObjectReference, ...fsRo,
  }),
  csi: struct("CSIVolumeSource", {
    driver: str, readOnly: bool, fsType: str, volumeAttributes: mapOf(str), nodePublishSecretRef: localObjectReference,
  }),
  ephemeral: struct("EphemeralVolumeSource", {
    volumeClaimTemplate: struct("PersistentVolumeClaimTemplate", { metadata: objectMeta, spec: persistentVolumeClaimSpec }),
  }),
  image: struct("ImageVolumeSource", { reference: str, pullPolicy: str }),
});
