//go:build tools

// Package tools pins the etcd server that kube-apiserver v1.36.3 is tested against, so that
// scripts/build-control-plane.sh can build it with `go build go.etcd.io/etcd/server/v3`.
// It lives in its own module so etcd's dependency versions never get resolved together
// with kubernetes' ones.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
