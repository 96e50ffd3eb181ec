/**
 * PHASE: CSR APPROVE (beyond kubeadm: kubeadm leaves kubelet serving certificates to the cluster
 * operator; {@code serverTLSBootstrap: true} makes each kubelet ask for one with a
 * {@code kubernetes.io/kubelet-serving} CertificateSigningRequest that nothing approves).
 *
 * <p>INPUTS: from {@code POST /v1/csr-approve}: {@code deny_invalid} (default false) and the
 * cluster options of {@link io.kubeforge.worker.kube.ClusterAccess}.
 *
 * <p>OUTPUTS: every pending {@code kubernetes.io/kubelet-serving} CSR is judged by
 * {@link io.kubeforge.worker.csrapprove.CsrRules}: the requester is {@code system:node:<name>} in
 * group {@code system:nodes}; the request's subject is exactly {@code CN=system:node:<name>,
 * O=system:nodes}; its usages are exactly the kubelet's ({@code digital signature}, optionally
 * {@code key encipherment}, {@code server auth}); it names DNS and IP SANs only, at least one, each
 * the Node's name or one of its {@code status.addresses}; its signature verifies. A valid CSR is
 * approved through the {@code approval} subresource (condition {@code Approved}, reason
 * {@value io.kubeforge.worker.csrapprove.CsrApprovePhase#APPROVED_REASON}), as {@code kubectl
 * certificate approve} does; an invalid one is denied (reason
 * {@value io.kubeforge.worker.csrapprove.CsrApprovePhase#DENIED_REASON}) with {@code deny_invalid},
 * else left pending. Each decision is reported with its reason. CSRs of other signers, and those
 * already approved or denied, are never touched, so a second run changes nothing.
 */
package io.kubeforge.worker.csrapprove;
