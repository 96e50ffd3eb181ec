/**
 * PHASE: PREFLIGHT (kubeadm {@code init phase preflight} / {@code join phase preflight},
 * {@code cmd/kubeadm/app/preflight/checks.go}).
 *
 * <p>INPUTS: from {@code POST /v1/preflight}: the cluster model ({@code kubeadm_config} and the
 * cluster options: bind port, manifest and kubeconfig folders, certificate folder, etcd, subnets,
 * advertise address, node name, CRI socket, Kubernetes version) and the phase's own {@code mode},
 * {@code ignore}, {@code certificate_key} (only whether it is given) and {@code api_server_endpoint};
 * the host: {@code /proc} (self/status, meminfo, swaps, sys/net forwarding), PATH, the listed files
 * and folders, the CRI socket, name resolution, {@code kubelet --version}, external etcd's
 * {@code /version}.
 *
 * <p>OUTPUTS: data only, nothing is written: every check with kubeadm's name, severity, outcome and
 * message, and the counts of errors and warnings. Each check is an entry of
 * {@link io.kubeforge.worker.preflight.PreflightChecks}.
 */
package io.kubeforge.worker.preflight;
