//go:build tools

// Package tools pins the Kubernetes command packages the harness builds, so that
// `go mod tidy` keeps every module they need in go.mod / go.sum (kubelet: the node of node.py).
// It is never built.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
