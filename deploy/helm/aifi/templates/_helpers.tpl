{{/* Labels of every object of the release. */}}
{{- define "aifi.labels" -}}
app.kubernetes.io/part-of: aifi-observe
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "aifi.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{/* The Kafka bootstrap list: every broker of the StatefulSet. */}}
{{- define "aifi.kafkaBrokers" -}}
{{- $n := int .Values.kafka.replicas -}}
{{- $list := list -}}
{{- range $i := until $n -}}
{{- $list = append $list (printf "%s-kafka-%d.%s-kafka:9092" $.Release.Name $i $.Release.Name) -}}
{{- end -}}
{{- join "," $list -}}
{{- end -}}

{{/* What every aifi container shares: the cluster, Kafka, the scrape token, tracing. */}}
{{- define "aifi.env" -}}
- name: AIFI_CLICKHOUSE_URL
  value: http://clickhouse:8123
- name: AIFI_CLICKHOUSE_USER
  value: aifi
- name: AIFI_CLICKHOUSE_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ .Values.secrets.clickhouse }}, key: password } }
- name: AIFI_CLICKHOUSE_DATABASE
  value: {{ .Values.clickhouse.database | quote }}
- name: AIFI_CLICKHOUSE_CLUSTER
  value: {{ .Values.clickhouse.cluster | quote }}
- name: AIFI_KAFKA_BROKERS
  value: {{ include "aifi.kafkaBrokers" . | quote }}
- name: AIFI_KAFKA_TOPIC
  value: {{ .Values.kafka.topic | quote }}
- name: AIFI_METRICS_TOKEN_FILE
  value: /etc/aifi/metrics/token
- name: AIFI_HOST
  value: 0.0.0.0
- name: AIFI_PORT
  value: "8080"
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: http://{{ .Release.Name }}-otel-collector:4318
{{- end -}}
