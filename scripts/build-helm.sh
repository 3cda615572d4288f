#!/usr/bin/env bash
# Builds the real Helm command the chart tests run (`helm lint`, `helm template`) from its Go module
# (test/e2e/helm, pinned by the committed go.mod/go.sum), into <cache>/helm-<version>/bin/helm.
#
# No release download: like scripts/build-control-plane.sh, everything comes from the Go module proxy. The binary
# is reused while its build stamp (version + module files + flags) matches; anything else triggers a rebuild.
#
# Environment:
#   BERTH_HELM_CACHE_DIR cache root (default: $BERTH_E2E_CACHE_DIR, else test/e2e/.cache, beside the control plane)
#   BERTH_HELM_REBUILD=1 rebuild even when the cached binary matches
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module_dir="$repo_root/test/e2e/helm"

fail() {
  echo "build-helm: ERROR: $*" >&2
  exit 1
}
say() { echo "build-helm: $*"; }

command -v go >/dev/null 2>&1 ||
  fail "the 'go' command was not found on PATH. Install Go 1.26 or newer (https://go.dev/dl/); Helm is built from its Go module."

helm_version=$(awk '$1 == "require" && $2 == "helm.sh/helm/v4" { print $3; exit } $1 == "helm.sh/helm/v4" && $2 ~ /^v[0-9]/ { print $2; exit }' "$module_dir/go.mod")
[[ -n "$helm_version" ]] || fail "could not read the helm.sh/helm/v4 version from $module_dir/go.mod"

cache_root="${BERTH_HELM_CACHE_DIR:-${BERTH_E2E_CACHE_DIR:-$repo_root/test/e2e/.cache}}"
bin_dir="$cache_root/helm-$helm_version/bin"
stamp_file="$bin_dir/.build-stamp"

# Helm prints this in `helm version`; without it a source build says v4.x-dev or similar.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

expected_stamp=$(
  echo "helm $helm_version"
  echo "ldflags $ldflags"
  (cd "$repo_root" && sha256_of test/e2e/helm/go.mod test/e2e/helm/go.sum)
)

cached_binary_matches() {
  [[ -f "$stamp_file" && -x "$bin_dir/helm" ]] || return 1
  [[ "$(cat "$stamp_file")" == "$expected_stamp" ]] || return 1
  local says
  says=$("$bin_dir/helm" version --template '{{.Version}}' 2>/dev/null) || return 1
  [[ "$says" == "$helm_version" ]]
}

started_at=$(date +%s)
if [[ "${BERTH_HELM_REBUILD:-}" != "1" ]] && cached_binary_matches; then
  say "reusing helm $helm_version in $bin_dir ($(($(date +%s) - started_at))s)"
  exit 0
fi

say "building helm $helm_version with $(go version) into $bin_dir"
mkdir -p "$cache_root/helm-$helm_version"
staging_dir=$(mktemp -d "$cache_root/helm-$helm_version/bin.building.XXXXXX")
chmod 755 "$staging_dir"
trap 'rm -rf "$staging_dir"' EXIT

# GOWORK=off: a go.work above the repo must not pull this module in. -mod=readonly: go.sum is the pin.
if ! (cd "$module_dir" && GOWORK=off go build -mod=readonly -trimpath -buildvcs=false -ldflags="$ldflags" \
  -o "$staging_dir/helm" helm.sh/helm/v4/cmd/helm); then
  fail "building helm $helm_version failed (module $module_dir); see the go output above"
fi

printf '%s\n' "$expected_stamp" >"$staging_dir/.build-stamp"
rm -rf "$bin_dir"
mv "$staging_dir" "$bin_dir"
trap - EXIT

cached_binary_matches || fail "the freshly built $bin_dir/helm does not report version $helm_version"
say "done: built helm $helm_version in $(($(date +%s) - started_at))s -> $bin_dir/helm"
