/**
 * PHASE: CERTIFICATE EXPIRATION (kubeadm {@code certs check-expiration},
 * {@code cmd/kubeadm/app/cmd/certs.go} and {@code phases/certs/renewal}).
 *
 * <p>INPUTS: from {@code POST /v1/cert-info} ({@link io.kubeforge.worker.certinfo.CertInfoOptions}):
 * {@code cert_dir} (default {@code /etc/kubernetes/pki}) and {@code kubeconfig_dir} (default
 * {@code /etc/kubernetes}); the files in them: {@code apiserver.crt},
 * {@code apiserver-kubelet-client.crt}, {@code front-proxy-client.crt},
 * {@code etcd/{server,peer,healthcheck-client}.crt}, {@code apiserver-etcd-client.crt}, the CA
 * certificates and keys ({@code ca}, {@code front-proxy-ca}, {@code etcd/ca}), and the embedded
 * client certificates of {@code admin.conf}, {@code super-admin.conf},
 * {@code controller-manager.conf}, {@code scheduler.conf}; beyond kubeadm, {@code kubelet_cert_dir}
 * (default {@code /var/lib/kubelet/pki}: {@code kubelet-client-current.pem}, {@code kubelet.crt} or
 * {@code kubelet-server-current.pem}), {@code kubelet.conf}, the CA bundle of every kubeconfig, and
 * {@code warn_before} (Go duration, default 720h).
 *
 * <p>OUTPUTS: data only, nothing is written: per certificate and per CA its path, expiry (RFC 3339
 * UTC), residual time (kubeadm's RESIDUAL TIME form, {@code duration.HumanDuration}, and in
 * seconds), subject, issuer, whether it verifies against the CA on disk, issuing CA, whether it is
 * externally managed and whether it is missing; the kubelet's rows, the trust-bundle rows, and
 * {@code expiring}. The same report feeds the gauges of {@code GET /metrics} (api.ExpiryMetrics).
 */
package io.kubeforge.worker.certinfo;
