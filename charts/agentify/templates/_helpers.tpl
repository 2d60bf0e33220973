{{/* Names, labels and the values every template shares. */}}
{{- define "agentify.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "agentify.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "agentify.webhook" -}}{{ include "agentify.fullname" . | trunc 55 | trimSuffix "-" }}-webhook{{- end -}}
{{- define "agentify.dispatcher" -}}{{ include "agentify.fullname" . | trunc 52 | trimSuffix "-" }}-dispatcher{{- end -}}

{{/* Common labels; $component is "webhook" or "dispatcher" (or "" for shared objects). */}}
{{- define "agentify.labels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: agentify
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
{{- if $component }}
{{ include "agentify.selectorLabels" (list $root $component) }}
{{- else }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end }}
{{- with $root.Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "agentify.selectorLabels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: {{ include "agentify.name" $root }}-{{ $component }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{/* The certificate hooks' metadata: (list root name events weight namespaced). Every hook is
     deleted once its phase succeeds, and before it is created again. */}}
{{- define "agentify.hookMeta" -}}
{{- $root := index . 0 -}}
name: {{ index . 1 }}
{{- if index . 4 }}
namespace: {{ $root.Release.Namespace }}
{{- end }}
labels:
  {{- include "agentify.labels" (list $root "certs") | nindent 2 }}
annotations:
  {{- with $root.Values.annotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  helm.sh/hook: {{ index . 2 }}
  helm.sh/hook-weight: {{ index . 3 | quote }}
  helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}

{{/* A namespaced object's metadata: (list root component name). */}}
{{- define "agentify.meta" -}}
{{- $root := index . 0 -}}
name: {{ index . 2 }}
namespace: {{ $root.Release.Namespace }}
labels:
  {{- include "agentify.labels" (list $root (index . 1)) | nindent 2 }}
{{- with $root.Values.annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The agent token Secret: the user's, or the chart's. */}}
{{- define "agentify.tokenSecret" -}}
{{- if .Values.agentStackSecret -}}{{ .Values.agentStackSecret }}{{- else -}}{{ include "agentify.fullname" . }}-agent-token{{- end -}}
{{- end -}}

{{/* The certificate source, checked: every template that depends on it includes this. */}}
{{- define "agentify.certsSource" -}}
{{- $source := .Values.webhook.certs.source -}}
{{- if not (has $source (list "selfManaged" "values" "existingSecret" "certManager")) -}}
{{- fail (printf "webhook.certs.source must be selfManaged, values, existingSecret or certManager, not %q" $source) -}}
{{- end -}}
{{- $source -}}
{{- end -}}

{{/* The webhook's TLS Secret. selfManaged's has a name of its own: the hook Job creates it, Helm
     does not own it, so switching to or from `values` never makes two owners of one Secret. */}}
{{- define "agentify.tlsSecret" -}}
{{- $source := include "agentify.certsSource" . -}}
{{- if eq $source "existingSecret" -}}{{ required "webhook.certs.existingSecret is required with webhook.certs.source=existingSecret" .Values.webhook.certs.existingSecret }}
{{- else if eq $source "selfManaged" -}}{{ include "agentify.webhook" . }}-selfmanaged-tls
{{- else -}}{{ include "agentify.webhook" . }}-tls{{- end -}}
{{- end -}}

{{/* The self-managed certificates' hook objects (ServiceAccount, RBAC, the pre-hook Job). */}}
{{- define "agentify.certsHook" -}}{{ include "agentify.fullname" . | trunc 57 | trimSuffix "-" }}-certs{{- end -}}

{{/* "true" when the dispatcher runs with leader election; fails on settings that would run two
     dispatchers without it, or that the elector refuses. */}}
{{- define "agentify.leaderElect" -}}
{{- $le := .Values.leaderElection -}}
{{- if $le.enabled -}}
{{- $lease := int $le.leaseDurationSeconds -}}{{- $renew := int $le.renewDeadlineSeconds -}}{{- $retry := int $le.retryPeriodSeconds -}}
{{- if not (and (gt $retry 0) (lt $retry $renew) (lt $renew $lease)) -}}
{{- fail (printf "leaderElection needs 0 < retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds, got %v, %v and %v" $le.retryPeriodSeconds $le.renewDeadlineSeconds $le.leaseDurationSeconds) -}}
{{- end -}}
true
{{- else if gt (int .Values.replicas) 1 -}}
{{- fail (printf "replicas is %v: more than one dispatcher needs leaderElection.enabled=true, or two would reserve and create the same jobs" .Values.replicas) -}}
{{- end -}}
{{- end -}}

{{/* The config file: the user's `config`, with the keys the chart must own. */}}
{{- define "agentify.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := set $config "namespace" .Release.Namespace -}}
{{- $_ := set $config "agent-token-secret" (include "agentify.tokenSecret" .) -}}
{{- if not (hasKey $config "id") -}}{{- $_ := set $config "id" (include "agentify.fullname" .) -}}{{- end -}}
{{- if not (gt (int (index $config "prometheus-port" | default 0)) 0) -}}
{{- fail "config.prometheus-port must be a port: the dispatcher's probes use /healthz and /readyz there" -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* The pod-level settings both Deployments share. */}}
{{- define "agentify.podCommon" -}}
enableServiceLinks: false
terminationGracePeriodSeconds: 30
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  fsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.hostAliases }}
hostAliases:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "agentify.containerSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  privileged: false
  capabilities:
    drop:
      - ALL
  seccompProfile:
    type: RuntimeDefault
{{- end -}}
