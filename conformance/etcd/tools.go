//go:build tools

// Package tools pins the etcd server main package for `go mod tidy`. Never built.
package tools

import _ "go.etcd.io/etcd/server/v3"
