#!/usr/bin/env bash
# Builds the real Kubernetes control plane the e2e tests run as local processes:
# kube-apiserver, kube-scheduler, kube-controller-manager (module test/e2e/k8s) and
# etcd (module test/e2e/etcd), into test/e2e/.cache/<k8s-version>/bin/.
#
# No Docker and no release downloads: everything comes from the Go module proxy, pinned
# by the committed go.mod/go.sum files, so a fresh machine needs only Go and the proxy.
# The binaries are reused while their build stamp (versions + module files + flags)
# matches; anything else triggers a rebuild.
#
# Environment:
#   BERTH_E2E_CACHE_DIR  cache root (default: test/e2e/.cache)
#   BERTH_E2E_REBUILD=1  rebuild even when the cached binaries match
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
k8s_module="$repo_root/test/e2e/k8s"
etcd_module="$repo_root/test/e2e/etcd"

fail() {
  echo "build-control-plane: ERROR: $*" >&2
  exit 1
}

say() {
  echo "build-control-plane: $*"
}

if ! command -v go >/dev/null 2>&1; then
  fail "the 'go' command was not found on PATH. Install Go 1.26 or newer (https://go.dev/dl/); the e2e control plane is built from Go modules."
fi

# Reads the version of a module required by a go.mod, whether on a one-line
# `require x v1` or inside a `require ( ... )` block.
module_version() {
  local go_mod="$1" module="$2"
  awk -v m="$module" '
    $1 == "require" && $2 == m { print $3; exit }
    $1 == m && $2 ~ /^v[0-9]/ { print $2; exit }
  ' "$go_mod"
}

k8s_version=$(module_version "$k8s_module/go.mod" k8s.io/kubernetes)
etcd_version=$(module_version "$etcd_module/go.mod" go.etcd.io/etcd/server/v3)
[[ -n "$k8s_version" ]] || fail "could not read the k8s.io/kubernetes version from $k8s_module/go.mod"
[[ -n "$etcd_version" ]] || fail "could not read the go.etcd.io/etcd/server/v3 version from $etcd_module/go.mod"

cache_root="${BERTH_E2E_CACHE_DIR:-$repo_root/test/e2e/.cache}"
bin_dir="$cache_root/$k8s_version/bin"
stamp_file="$bin_dir/.build-stamp"

# kube-* binaries built outside the kubernetes release tooling report v0.0.0-master
# unless the version is stamped in; the apiserver serves that string on /version.
k8s_semver="${k8s_version#v}"
k8s_major="${k8s_semver%%.*}"
k8s_minor_rest="${k8s_semver#*.}"
k8s_minor="${k8s_minor_rest%%.*}"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$k8s_major -X $pkg.gitMinor=$k8s_minor"
  version_ldflags+=" -X $pkg.gitTreeState=clean"
done
k8s_ldflags="-s -w$version_ldflags"
etcd_ldflags="-s -w"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# Anything that changes what the binaries contain belongs in the stamp.
expected_stamp=$(
  echo "kubernetes $k8s_version"
  echo "etcd $etcd_version"
  echo "k8s-ldflags $k8s_ldflags"
  echo "etcd-ldflags $etcd_ldflags"
  (cd "$repo_root" && sha256_of test/e2e/k8s/go.mod test/e2e/k8s/go.sum test/e2e/etcd/go.mod test/e2e/etcd/go.sum)
)

k8s_commands=(kube-apiserver kube-scheduler kube-controller-manager)

cached_binaries_match() {
  [[ -f "$stamp_file" ]] || return 1
  [[ "$(cat "$stamp_file")" == "$expected_stamp" ]] || return 1
  local cmd
  for cmd in "${k8s_commands[@]}" etcd; do
    [[ -x "$bin_dir/$cmd" ]] || return 1
  done
  # The stamp could be stale if someone copied binaries in by hand; ask them.
  [[ "$("$bin_dir/kube-apiserver" --version 2>/dev/null)" == "Kubernetes $k8s_version" ]] || return 1
  # Read the whole output first: under pipefail, grep -q exiting early can kill etcd with SIGPIPE and fail the check.
  local etcd_says
  etcd_says=$("$bin_dir/etcd" --version 2>/dev/null) || return 1
  grep -qx "etcd Version: ${etcd_version#v}" <<<"$etcd_says" || return 1
}

started_at=$(date +%s)

if [[ "${BERTH_E2E_REBUILD:-}" != "1" ]] && cached_binaries_match; then
  say "reusing kubernetes $k8s_version + etcd $etcd_version binaries in $bin_dir ($(( $(date +%s) - started_at ))s)"
  exit 0
fi

say "building kubernetes $k8s_version (kube-apiserver, kube-scheduler, kube-controller-manager) and etcd $etcd_version"
say "with $(go version) into $bin_dir"
say "a cold build downloads ~200 MB of modules and compiles for several minutes (see test/e2e/README.md)"

mkdir -p "$cache_root/$k8s_version"
# Build into a scratch dir and swap it in at the end, so an interrupted or failed build
# never leaves a mix of old and new binaries that a later run would trust.
staging_dir=$(mktemp -d "$cache_root/$k8s_version/bin.building.XXXXXX")
chmod 755 "$staging_dir"
trap 'rm -rf "$staging_dir"' EXIT

# GOWORK=off: a go.work somewhere above the repo must not pull these modules into it.
# -mod=readonly: the committed go.sum is the pin; a build must never rewrite it.
go_build() {
  GOWORK=off go build -mod=readonly -trimpath -buildvcs=false "$@"
}

k8s_started_at=$(date +%s)
if ! (cd "$k8s_module" && go_build -ldflags="$k8s_ldflags" -o "$staging_dir/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kube-controller-manager); then
  fail "building the kubernetes $k8s_version commands failed (module $k8s_module); see the go output above"
fi
say "kubernetes commands built in $(( $(date +%s) - k8s_started_at ))s"

etcd_started_at=$(date +%s)
if ! (cd "$etcd_module" && go_build -ldflags="$etcd_ldflags" -o "$staging_dir/etcd" go.etcd.io/etcd/server/v3); then
  fail "building etcd $etcd_version failed (module $etcd_module); see the go output above"
fi
say "etcd built in $(( $(date +%s) - etcd_started_at ))s"

printf '%s\n' "$expected_stamp" >"$staging_dir/.build-stamp"
rm -rf "$bin_dir"
mv "$staging_dir" "$bin_dir"
trap - EXIT

if ! cached_binaries_match; then
  fail "the freshly built binaries in $bin_dir do not report kubernetes $k8s_version / etcd $etcd_version"
fi

say "done: built kubernetes $k8s_version + etcd $etcd_version in $(( $(date +%s) - started_at ))s -> $bin_dir"
