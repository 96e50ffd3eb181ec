/**
 * PHASE: CERTIFICATES (kubeadm {@code init phase certs all}, {@code cmd/kubeadm/app/phases/certs}).
 *
 * <p>INPUTS: {@link io.kubeforge.worker.pki.PkiOptions}, the PKI's view of the cluster model that
 * {@code config.ClusterModel#pkiOptions} builds from {@code POST /v1/pki} (options and/or
 * {@code kubeadm_config}, validated and defaulted there; this package parses no request):
 * {@code cert_dir}; {@code node_name} (CN of etcd-server and etcd-peer, a DNS SAN of apiserver,
 * etcd-server, etcd-peer); {@code advertise_address}, {@code service_subnet} (first usable IP of
 * the first CIDR), {@code dns_domain}, {@code control_plane_endpoint} and
 * {@code apiserver_cert_sans} (apiserver SANs); {@code etcd_server_cert_sans},
 * {@code etcd_peer_cert_sans}; {@code etcd} (local or external); {@code key_algorithm};
 * {@code certificate_validity}, {@code ca_certificate_validity}; {@code backup}. Plus whatever
 * already lies in {@code cert_dir}.
 *
 * <p>OUTPUTS: files below {@code cert_dir} (keys and {@code sa.pub} 0600, certificates 0644,
 * directories 0755):
 * <ul>
 *   <li>{@code ca.crt}, {@code ca.key} — Kubernetes CA (CN kubernetes)</li>
 *   <li>{@code apiserver.crt}, {@code apiserver.key} — API server serving certificate</li>
 *   <li>{@code apiserver-kubelet-client.crt}, {@code .key} — API server → kubelet client</li>
 *   <li>{@code front-proxy-ca.crt}, {@code .key}; {@code front-proxy-client.crt}, {@code .key}</li>
 *   <li>{@code etcd/ca.crt}, {@code etcd/ca.key}; {@code etcd/server.*}, {@code etcd/peer.*},
 *       {@code etcd/healthcheck-client.*}; {@code apiserver-etcd-client.*} (local etcd only)</li>
 *   <li>{@code sa.key}, {@code sa.pub} — service-account signing key pair</li>
 *   <li>{@code <file>.<yyyyMMddTHHmmssZ>.bak} — copy of every replaced file (unless backup=false)</li>
 * </ul>
 * And as data: per certificate its subject, issuer, SANs, expiry and what was done (created,
 * kept, reissued with a reason, external), the CA pin ({@code ca_cert_hash}) and a
 * one-line-per-file diff. No key material ever leaves the package in a result, log line or
 * exception message.
 *
 * <p>Differences from kubeadm, all deliberate: an invalid extra SAN is refused instead of
 * skipped; an existing certificate that is expired, not signed by its CA or lacks a required SAN
 * is reissued (with a backup) instead of failing the run; a missing {@code sa.pub} is rewritten
 * from {@code sa.key}; an external CA whose leaves are incomplete is reported in the result and
 * warnings instead of failing.
 */
package io.kubeforge.worker.pki;
