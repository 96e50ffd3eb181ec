/**
 * PHASE: DISCOVERY (kubeadm {@code join}'s discovery, {@code cmd/kubeadm/app/discovery}).
 *
 * <p>INPUTS: from {@code POST /v1/discovery}: token discovery ({@code api_server_endpoint},
 * {@code token}, {@code ca_cert_hashes}, {@code unsafe_skip_ca_verification}) or file discovery
 * ({@code discovery_file}: a kubeconfig path or an {@code https://} URL, with an optional
 * {@code tls_bootstrap_token}); {@code timeout}; and where to write ({@code kubeconfig_dir},
 * {@code cert_dir}, {@code backup}).
 *
 * <p>Token discovery as kubeadm's {@code discovery/token}: {@code cluster-info} is fetched from
 * {@code https://<api_server_endpoint>} without checking the server's certificate and without
 * credentials (the token secret never leaves this host), its {@code jws-kubeconfig-<id>} checked
 * ({@link io.kubeforge.worker.kube.ClusterInfoJws#check}: detached HS256 only, constant-time
 * comparison), its CA bundle checked against the pins, then fetched again over TLS that trusts
 * only the pinned CA certificate(s) (kubeadm trusts the whole bundle; a CA beside the pinned one
 * is never trusted here), and both kubeconfigs must be identical. Every fetch goes through
 * {@link io.kubeforge.worker.kube.KubeClient#anonymous}; retries stay inside {@code timeout}.
 *
 * <p>OUTPUTS: facts {@code server}, {@code cluster_name}, {@code ca_cert}, {@code ca_cert_hash};
 * with {@code kubeconfig_dir} the {@code bootstrap-kubelet.conf} kubeadm join writes (cluster
 * {@code kubernetes}, user {@code tls-bootstrap-token-user} with the token), and with
 * {@code cert_dir} (default {@code <kubeconfig_dir>/pki}) its {@code ca.crt}, both through the
 * file reconciler (compared, backed up when different).
 */
package io.kubeforge.worker.discovery;
