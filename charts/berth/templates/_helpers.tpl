{{/*
The berth image, as manifests/kustomization.yaml's images: rule sets it.
*/}}
{{- define "berth.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) -}}
{{- end -}}

{{/*
A shipped manifest, verbatim: the chart reads manifests/ through files/manifests, so a static object has one copy.
A file that went missing fails the render instead of silently rendering nothing.
*/}}
{{- define "berth.shipped" -}}
{{- $text := .root.Files.Get (printf "files/manifests/%s" .file) -}}
{{- if not $text -}}
{{- fail (printf "berth chart: files/manifests/%s is missing (the chart must be used from a checkout, or packaged with helm package)" .file) -}}
{{- end -}}
{{- $text -}}
{{- end -}}

{{/*
Replaces `old` with `new` in `text`, failing when `old` is not there: a shipped file that changed must not leave a
setting silently ignored.
*/}}
{{- define "berth.replaceOnce" -}}
{{- if not (contains .old .text) -}}
{{- fail (printf "berth chart: %q not found in %s; update the chart" .old .where) -}}
{{- end -}}
{{- replace .old .new .text -}}
{{- end -}}
