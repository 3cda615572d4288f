#!/usr/bin/env bash
# Creates the mTLS material berth needs when the extender listens off loopback (a Deployment behind a Service):
#
#   ca.crt, ca.key                      a private CA, used only for berth (never the cluster CA)
#   extender.crt, extender.key          the extender's server certificate; SANs = the Service's DNS names
#   scheduler-client.crt, .key          kube-scheduler's client certificate (extendedKeyUsage clientAuth)
#   apiserver-client.crt, .key          kube-apiserver's client certificate for the pod-routing webhook
#   secrets/berth-extender-tls.yaml     Secret for the extender: tls.crt, tls.key, and ca.crt (the CA that
#                                       client certificates must chain to: --tls-client-ca)
#   secrets/berth-scheduler-client-tls.yaml
#                                       Secret for the second scheduler (manifests/scheduler/second-scheduler.yaml):
#                                       tls.crt, tls.key, ca.crt (the CA the extender's certificate chains to)
#   control-plane/                      ca.crt, scheduler-client.crt, scheduler-client.key to copy to every
#                                       control-plane node for manifests/scheduler/extender-config.yaml, and
#                                       apiserver-client.crt/.key, admission-kubeconfig.yaml, admission-config.yaml
#                                       for kube-apiserver's --admission-control-config-file (the webhook in
#                                       manifests/admission/pod-routing-webhook.yaml requires a client certificate)
#
# One CA signs both sides, so the same ca.crt verifies the server (kube-scheduler's tlsConfig.caFile) and the client
# (berth's --tls-client-ca). Keys are ECDSA P-256: accepted by Go's crypto/tls and Node's, and cheap to handshake.
#
# Usage: scripts/gen-certs.sh [OUT_DIR]            (default OUT_DIR: ./berth-certs; an existing CA there is reused)
# Environment:
#   BERTH_NAMESPACE      namespace of the extender Service   (default berth-system)
#   BERTH_SERVICE        name of the extender Service        (default berth-extender)
#   CLUSTER_DOMAIN       the cluster's DNS domain            (default cluster.local)
#   BERTH_EXTRA_SANS     more SANs, comma-separated, e.g. "IP:10.96.0.42,DNS:berth.example.org"
#                        (add the Service's ClusterIP if kube-scheduler reaches it by IP and cannot set serverName)
#   BERTH_CERT_DAYS      validity of the leaf certificates   (default 365; the CA gets 10 years)
set -euo pipefail

out=${1:-./berth-certs}
namespace=${BERTH_NAMESPACE:-berth-system}
service=${BERTH_SERVICE:-berth-extender}
domain=${CLUSTER_DOMAIN:-cluster.local}
days=${BERTH_CERT_DAYS:-365}
extra_sans=${BERTH_EXTRA_SANS:-}

command -v openssl >/dev/null || { echo "gen-certs: openssl is required (apt-get install openssl)" >&2; exit 1; }
[[ $namespace =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || { echo "gen-certs: BERTH_NAMESPACE is not a DNS label: $namespace" >&2; exit 1; }
[[ $service =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || { echo "gen-certs: BERTH_SERVICE is not a DNS label: $service" >&2; exit 1; }
[[ $days =~ ^[0-9]+$ ]] || { echo "gen-certs: BERTH_CERT_DAYS must be a number of days: $days" >&2; exit 1; }

umask 077
mkdir -p "$out/secrets" "$out/control-plane"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ -s $out/ca.crt && -s $out/ca.key ]]; then
  echo "gen-certs: reusing the CA in $out (delete ca.crt and ca.key for a new one)"
else
  new_key "$out/ca.key"
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days 3650 -subj "/CN=berth-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.crt"
fi

# sign NAME SUBJECT EXTENSIONS: a key, a CSR, and a certificate signed by the CA with exactly these extensions.
sign() {
  local name=$1 subject=$2 extensions=$3
  new_key "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "$subject" -out "$tmp/$name.csr"
  printf '%s\n' "$extensions" >"$tmp/$name.ext"
  openssl x509 -req -in "$tmp/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -sha256 -days "$days" -extfile "$tmp/$name.ext" -out "$out/$name.crt" 2>/dev/null
}

sans="DNS:$service,DNS:$service.$namespace,DNS:$service.$namespace.svc,DNS:$service.$namespace.svc.$domain"
[[ -n $extra_sans ]] && sans="$sans,$extra_sans"
sign extender "/CN=$service.$namespace.svc" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$sans"
sign scheduler-client "/CN=kube-scheduler" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

sign apiserver-client "/CN=kube-apiserver-admission" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

openssl verify -CAfile "$out/ca.crt" "$out/extender.crt" "$out/scheduler-client.crt" "$out/apiserver-client.crt" >/dev/null

b64() { base64 <"$1" | tr -d '\n'; }

# secret NAME CERT: a kubernetes.io/tls Secret in the extender's namespace with the CA beside the pair.
secret() {
  local name=$1 cert=$2
  cat >"$out/secrets/$name.yaml" <<EOF
# Generated by scripts/gen-certs.sh. Contains a private key: do not commit it.
apiVersion: v1
kind: Secret
metadata:
  name: $name
  namespace: $namespace
  labels:
    app.kubernetes.io/part-of: berth
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$out/$cert.crt")
  tls.key: $(b64 "$out/$cert.key")
  ca.crt: $(b64 "$out/ca.crt")
EOF
}
secret berth-extender-tls extender
secret berth-scheduler-client-tls scheduler-client

cp "$out/ca.crt" "$out/scheduler-client.crt" "$out/scheduler-client.key" "$out/control-plane/"
cp "$out/apiserver-client.crt" "$out/apiserver-client.key" "$out/control-plane/"

# kube-apiserver presents a client certificate to a webhook only through its admission configuration: the user
# named after the webhook's Service (<service>.<namespace>.svc:<port>) in the kubeconfig that file points to.
cat >"$out/control-plane/admission-kubeconfig.yaml" <<EOF
# Generated by scripts/gen-certs.sh: the client certificate kube-apiserver presents to berth's pod-routing webhook.
apiVersion: v1
kind: Config
users:
  - name: $service.$namespace.svc:8888
    user:
      client-certificate: /etc/kubernetes/berth/apiserver-client.crt
      client-key: /etc/kubernetes/berth/apiserver-client.key
EOF
cat >"$out/control-plane/admission-config.yaml" <<EOF
# Generated by scripts/gen-certs.sh, for kube-apiserver --admission-control-config-file. If your API server already
# has an admission configuration, add the MutatingAdmissionWebhook entry to it (one kubeconfig serves all webhooks).
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: MutatingAdmissionWebhook
    configuration:
      apiVersion: apiserver.config.k8s.io/v1
      kind: WebhookAdmissionConfiguration
      kubeConfigFile: /etc/kubernetes/berth/admission-kubeconfig.yaml
EOF

cat <<EOF
gen-certs: wrote $out
  extender SANs:   $sans
  apply Secrets:   kubectl apply --server-side -f $out/secrets/
  control plane:   copy $out/control-plane/* to /etc/kubernetes/berth/ on every control-plane node
                   (for manifests/scheduler/extender-config.yaml and kube-apiserver's
                   --admission-control-config-file=/etc/kubernetes/berth/admission-config.yaml)
  webhook CA:      base64 -w0 $out/ca.crt   (caBundle of manifests/admission/pod-routing-webhook.yaml)
EOF
