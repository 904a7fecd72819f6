{{- define "alchemi.name" -}}{{ .Release.Name }}-alchemi{{- end -}}
{{- define "alchemi.labels" -}}
app.kubernetes.io/name: alchemi
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "alchemi.env" -}}
- name: ALCHEMI_AUTO_MIGRATE
  value: "false"
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
envFrom:
  - secretRef:
      name: {{ .Values.existingSecret }}
{{- end -}}
