/**
 * PHASE: TLS BOOTSTRAP (what the kubelet does with {@code bootstrap-kubelet.conf}, {@code
 * pkg/kubelet/certificate/bootstrap} of Kubernetes 1.34, before any container runtime exists).
 *
 * <p>INPUTS: from {@code POST /v1/tls-bootstrap}: {@code bootstrap_kubeconfig} (default
 * {@code /etc/kubernetes/bootstrap-kubelet.conf}, as the discovery call writes it),
 * {@code kubeconfig} (the file to write, default {@code /etc/kubernetes/kubelet.conf}),
 * {@code cert_dir} (default {@code /var/lib/kubelet/pki}), {@code node_name} (default: the host
 * name in lower case, as the kubelet), {@code timeout}, {@code backup} and
 * {@code renew_unless_signed_by}.
 *
 * <p>As the kubelet: an ECDSA P-256 key (kept in {@code kubelet-client.key.tmp} until the
 * certificate is issued, so a second attempt sends the same request), a CSR with subject
 * {@code O=system:nodes, CN=system:node:<name>}, signer
 * {@code kubernetes.io/kube-apiserver-client-kubelet}, usages {@code digital signature} and
 * {@code client auth}, named {@code node-csr-<sha512/256 of key, subject and usages>} (an
 * existing CSR of that name for the same key is reused), created with the bootstrap token through
 * {@link io.kubeforge.worker.kube.KubeClient}; then the CSR is read until it is issued, denied or
 * failed, or {@code timeout} passes. The certificate and key go to
 * {@code kubelet-client-<yyyy-MM-dd-HH-mm-ss>.pem} (0600), {@code kubelet-client-current.pem}
 * becomes a link to it, and {@code kubeconfig} points at that link (cluster {@code default-cluster}
 * with the bootstrap kubeconfig's server and CA, user {@code default-auth}, context
 * {@code default-context}, namespace {@code default}), byte for byte as the kubelet writes it.
 *
 * <p>Idempotence: when {@code kubelet-client-current.pem} holds an unexpired certificate for
 * {@code system:node:<name>} in {@code system:nodes} with its key, no CSR is made; only a
 * {@code kubeconfig} that differs is rewritten (backed up first). With {@code renew_unless_signed_by}
 * (CA certificates, PEM), a current certificate none of them signed is renewed with {@code kubeconfig}'s
 * own credentials, as the kubelet's certificate manager rotates it (a CA rotation); a new certificate
 * still not signed by them is refused and nothing is written. A {@code kubeconfig} that embeds the
 * node's client certificate (kubeadm init's, on a control plane) is kept when one of them signed it
 * ({@code ca_rotate}'s reissue re-signs it) and refused when another did.
 *
 * <p>OUTPUTS: {@code node_name}, {@code username}, {@code csr} (name, action, the Approved
 * condition's reason), {@code certificate} (path, subject, not_after), {@code files},
 * {@code backups}.
 */
package io.kubeforge.worker.tlsbootstrap;
