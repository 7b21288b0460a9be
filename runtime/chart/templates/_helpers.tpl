{{/*
Names and labels shared by every template of the expense-backend chart.
*/}}

{{/* The service name (the generated rules select job="<this>"; see servicemonitor.yaml). */}}
{{- define "expense-backend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name alone when it already holds the service name. */}}
{{- define "expense-backend.fullname" -}}
{{- $name := include "expense-backend.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "expense-backend.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the pods: never change them on a live release. */}}
{{- define "expense-backend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "expense-backend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "expense-backend.labels" -}}
helm.sh/chart: {{ include "expense-backend.chart" . }}
{{ include "expense-backend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: backend
app.kubernetes.io/part-of: {{ .Values.partOf | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
environment: {{ .Values.environment | quote }}
{{- end }}

{{- define "expense-backend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "expense-backend.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: with serviceAccount.create=false, name the existing ServiceAccount the pods run as" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository:tag; an empty tag is the chart's appVersion. */}}
{{- define "expense-backend.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" .Values.image.registry) .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The Secret the pods read its data[] keys from: the ExternalSecret's target, or a Secret the
operator created and confirmed with secrets.existing=true. Fails when neither is true.
*/}}
{{- define "expense-backend.secretName" -}}
{{- $secrets := .Values.secrets }}
{{- if and (not $secrets.externalSecret.enabled) (not $secrets.existing) }}
{{- $keys := list }}
{{- range $secrets.externalSecret.data }}{{ $keys = append $keys .env }}{{ end }}
{{- fail (printf "secrets: the ExternalSecret is disabled, so the pods need an existing Secret %q with the keys %s. Create it, then set secrets.existing=true (or enable secrets.externalSecret)." $secrets.name (join ", " $keys)) }}
{{- end }}
{{- $secrets.name }}
{{- end }}
