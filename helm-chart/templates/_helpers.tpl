{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "nexus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "nexus.fullname" -}}
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

{{- define "nexus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object: include "nexus.labels" (dict "root" $ "component" "coordinator") */}}
{{- define "nexus.labels" -}}
helm.sh/chart: {{ include "nexus.chart" .root }}
{{ include "nexus.selectorLabels" . }}
app.kubernetes.io/part-of: {{ include "nexus.name" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include "nexus.selectorLabels" (dict "root" $ "component" "coordinator") */}}
{{- define "nexus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nexus.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "nexus.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "nexus.secretName" -}}
{{- default (printf "%s-secrets" (include "nexus.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "nexus.postgresHost" -}}
{{- printf "%s-postgres" (include "nexus.fullname" .) -}}
{{- end -}}

{{/* DATABASE_URL: the in-cluster PostgreSQL, or externalDatabase.url. */}}
{{- define "nexus.databaseUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "postgres://%s:%s@%s:5432/%s" .Values.postgresql.username .Values.postgresql.password (include "nexus.postgresHost" .) .Values.postgresql.database -}}
{{- else -}}
{{- required "set externalDatabase.url (postgres://user:password@host:5432/db) or postgresql.enabled=true" .Values.externalDatabase.url -}}
{{- end -}}
{{- end -}}

{{/* REDIS_URL: the in-cluster Redis, externalRedis.url, or empty (no Redis). */}}
{{- define "nexus.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s-redis:6379" (include "nexus.fullname" .) -}}
{{- else -}}
{{- .Values.externalRedis.url -}}
{{- end -}}
{{- end -}}

{{/* Pod and container security settings of the suite's image (user "node", uid 1000). */}}
{{- define "nexus.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "nexus.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/*
Init container that waits until the database accepts TCP connections (instead of the
service crash-looping while PostgreSQL starts).
*/}}
{{- define "nexus.waitForPostgres" -}}
- name: wait-for-postgres
  image: {{ include "nexus.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - node
    - -e
    - >-
      const u = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;
      if (!u) process.exit(0);
      const net = require('node:net');
      const attempt = () => {
      const s = net.connect(Number(u.port || 5432), u.hostname, () => { s.end(); process.exit(0); });
      s.on('error', () => { s.destroy(); console.log('waiting for', u.hostname); setTimeout(attempt, 2000); });
      };
      attempt();
  env:
    - name: DATABASE_URL
      valueFrom:
        secretKeyRef:
          name: {{ include "nexus.secretName" . }}
          key: DATABASE_URL
  resources:
    requests:
      cpu: 10m
      memory: 32Mi
    limits:
      cpu: 100m
      memory: 64Mi
  securityContext:
    {{- include "nexus.containerSecurityContext" . | nindent 4 }}
{{- end -}}
