// The sandbox ("pause") program of the conformance harness's node: what registry.k8s.io/pause
// does, built here because nothing is pulled. Standard library only.
module kubeforge.test/conformance/pause

go 1.24
