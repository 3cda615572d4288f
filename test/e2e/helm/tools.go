//go:build tools

// Package tools pins the Helm command the chart tests run (`helm lint`, `helm template`);
// scripts/build-helm.sh builds it from this module, the way the control plane is built.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
