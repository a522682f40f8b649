{{/* Labels shared by every object, in the same spirit as the upstream istiod chart. */}}
{{- define "istiod-mini.labels" -}}
istio.io/rev: {{ .Values.revision | quote }}
operator.istio.io/component: "Pilot"
release: {{ .Release.Name }}
app.kubernetes.io/name: "istiod"
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/part-of: "istio"
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
