{{- define "gameday.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gameday.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "gameday.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "gameday.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "gameday.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "gameday.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gameday
{{- end }}

{{/* Selector labels of one component: include with (dict "ctx" . "component" "api"). */}}
{{- define "gameday.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gameday.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "gameday.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "gameday.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "gameday.fullname" .) }}
{{- end }}

{{- define "gameday.redisName" -}}
{{- printf "%s-redis" (include "gameday.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gameday.workerServiceAccount" -}}
{{- printf "%s-worker" (include "gameday.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gameday.apiServiceAccount" -}}
{{- printf "%s-api" (include "gameday.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Refuses values the schema cannot express: references between lists. */}}
{{- define "gameday.validate" -}}
{{- $allow := .Values.namespaces.allowlist }}
{{- range .Values.namespaces.gateways }}
{{- if not (has . $allow) }}
{{- fail (printf "namespaces.gateways: %s is not in namespaces.allowlist" .) }}
{{- end }}
{{- end }}
{{- if and (not .Values.redis.enabled) (not .Values.redis.url) (not .Values.redis.existingSecret.name) }}
{{- fail "redis.enabled is false: set redis.url or redis.existingSecret" }}
{{- end }}
{{- end }}

{{/* Environment both processes share. */}}
{{- define "gameday.env" -}}
{{- if .Values.redis.enabled }}
{{- if .Values.redis.auth.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ include "gameday.redisName" . }}, key: redis-password }
- name: REDIS_URL
  value: "redis://:$(REDIS_PASSWORD)@{{ include "gameday.redisName" . }}:6379"
{{- else }}
- name: REDIS_URL
  value: "redis://{{ include "gameday.redisName" . }}:6379"
{{- end }}
{{- else if .Values.redis.existingSecret.name }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef: { name: {{ .Values.redis.existingSecret.name }}, key: {{ .Values.redis.existingSecret.key | default "redis-url" }} }
{{- else }}
- name: REDIS_URL
  value: {{ .Values.redis.url | quote }}
{{- end }}
- name: GAMEDAY_NAMESPACE_ALLOWLIST
  value: {{ join "," .Values.namespaces.allowlist | quote }}
{{- if .Values.config.scenariosConfigMap }}
- name: GAMEDAY_SCENARIOS_DIR
  value: /etc/gameday/scenarios
{{- end }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
- name: LOG_FORMAT
  value: {{ .Values.config.logFormat | quote }}
{{- with .Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Prometheus and Alertmanager endpoints (the worker detects and measures with them). */}}
{{- define "gameday.monitoringEnv" -}}
{{- range $prefix, $endpoint := dict "PROMETHEUS" .Values.config.prometheus "ALERTMANAGER" .Values.config.alertmanager }}
{{- if $endpoint.url }}
- name: {{ $prefix }}_URL
  value: {{ $endpoint.url | quote }}
{{- if $endpoint.bearerTokenSecret.name }}
- name: {{ $prefix }}_BEARER_TOKEN
  valueFrom:
    secretKeyRef: { name: {{ $endpoint.bearerTokenSecret.name }}, key: {{ $endpoint.bearerTokenSecret.key }} }
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gameday.volumes" -}}
- name: tmp
  emptyDir: { sizeLimit: 64Mi }
{{- if .Values.config.scenariosConfigMap }}
- name: scenarios
  configMap: { name: {{ .Values.config.scenariosConfigMap }} }
{{- end }}
{{- end }}

{{- define "gameday.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.config.scenariosConfigMap }}
- name: scenarios
  mountPath: /etc/gameday/scenarios
  readOnly: true
{{- end }}
{{- end }}
