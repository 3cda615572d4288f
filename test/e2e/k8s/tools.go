//go:build tools

// Package tools pins the Kubernetes control-plane commands the e2e tests run, the way
// kubernetes-sigs/scheduler-plugins pins its tools. k8s.io/kubernetes is not meant to be
// imported, so go.mod replaces every staging module (k8s.io/api, k8s.io/client-go, ...)
// with the matching v0.x.y release; scripts/build-control-plane.sh builds the commands.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
