{{/*
Names and labels shared by every template of the expense-backend chart.
*/}}

{{/* The service name (the generated rules select job="<this>"; see servicemonitor.yaml). */}}
{{- define "expense-backend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Blue-green (the deploy's `strategy = "blue-green"`): a colour release (`colour` set, named
<release>-<colour>) holds one colour's workload: its Deployment, ConfigMaps, HPA and PDB, named
<fullname>-<colour>, its pods labelled colour=<colour> (and, as every release's, instance=the
release, so a rolling release's Service never selects them). The release without a colour whose
`service.activeColour` is set holds the rest, shared by both colours: the Service (selecting the
live colour's pods), Ingress, ServiceAccount, ExternalSecret, NetworkPolicy, ServiceMonitor,
rules and dashboards. With neither (rolling), one release holds everything.
*/}}

{{/* The release the colours share: the release name, less the colour release's suffix. */}}
{{- define "expense-backend.sharedRelease" -}}
{{- if .Values.colour }}
{{- $suffix := printf "-%s" .Values.colour }}
{{- if not (hasSuffix $suffix .Release.Name) }}
{{- fail (printf "colour: the release of the %s colour is named <release>%s, not %q" .Values.colour $suffix .Release.Name) }}
{{- end }}
{{- trimSuffix $suffix .Release.Name }}
{{- else }}
{{- .Release.Name }}
{{- end }}
{{- end }}

{{/* The release's full name: the release name alone when it already holds the service name. */}}
{{- define "expense-backend.fullname" -}}
{{- $name := include "expense-backend.name" . }}
{{- $release := include "expense-backend.sharedRelease" . }}
{{- if contains $name $release }}
{{- $release | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" $release $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* The Deployment's name (and its ConfigMaps', HPA's, PDB's): the colour's own where set. */}}
{{- define "expense-backend.workloadName" -}}
{{- $fullname := include "expense-backend.fullname" . }}
{{- if .Values.colour }}
{{- printf "%s-%s" ($fullname | trunc 57 | trimSuffix "-") .Values.colour }}
{{- else }}
{{- $fullname }}
{{- end }}
{{- end }}

{{/* "true" where this release holds the workload: a colour release, or a rolling one. */}}
{{- define "expense-backend.holdsWorkload" -}}
{{- if and .Values.colour .Values.service.activeColour }}
{{- fail "colour and service.activeColour: a colour release holds only its workload, and the release without a colour switches the Service; set one of them" }}
{{- end }}
{{- if or .Values.colour (not .Values.service.activeColour) }}true{{ end }}
{{- end }}

{{/* "true" where this release holds what the colours share: every release but a colour's. */}}
{{- define "expense-backend.holdsShared" -}}
{{- if not .Values.colour }}true{{ end }}
{{- end }}

{{/*
The pods the shared objects select: the release's (rolling), or every colour's of the service
(blue-green); the Service adds the live colour.
*/}}
{{- define "expense-backend.servicePodLabels" -}}
{{- if .Values.service.activeColour }}
app.kubernetes.io/name: {{ include "expense-backend.name" . }}
{{- else }}
{{- include "expense-backend.selectorLabels" . }}
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

{{/* Labels that select this release's own pods, with their colour where it has one. */}}
{{- define "expense-backend.podSelectorLabels" -}}
{{ include "expense-backend.selectorLabels" . }}
{{- with .Values.colour }}
colour: {{ . }}
{{- end }}
{{- end }}

{{- define "expense-backend.labels" -}}
helm.sh/chart: {{ include "expense-backend.chart" . }}
{{ include "expense-backend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: backend
app.kubernetes.io/part-of: {{ .Values.partOf | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
environment: {{ .Values.environment | quote }}
{{- with .Values.colour }}
colour: {{ . }}
{{- end }}
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
