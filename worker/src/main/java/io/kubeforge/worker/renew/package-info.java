/**
 * PHASE: CERTIFICATE RENEWAL (kubeadm {@code certs renew}, {@code cmd/kubeadm/app/cmd/certs.go}
 * and {@code phases/certs/renewal/manager.go}, {@code readwriter.go}).
 *
 * <p>INPUTS: from {@code POST /v1/renew}: the cluster model ({@code cert_dir},
 * {@code kubeconfig_dir}, {@code key_algorithm}, {@code certificate_validity}, the etcd mode, and
 * for {@code recompute_names} the SAN options), {@code certificates} (kubeadm's names, or
 * {@code all}; default all), {@code reuse_key}, {@code recompute_names}, {@code renew_before},
 * {@code backup}; the files: each leaf's {@code .crt}/{@code .key}, the CAs ({@code ca},
 * {@code front-proxy-ca}, {@code etcd/ca}) and {@code admin.conf}, {@code super-admin.conf},
 * {@code controller-manager.conf}, {@code scheduler.conf}.
 *
 * <p>OUTPUTS: the renewed certificates and keys (a key and its certificate committed as one unit,
 * keys 0600) and kubeconfigs (client certificate and key replaced, CA data from {@code ca.crt});
 * every replaced file backed up; per item facts (old and new expiry and serial, action, reason)
 * and the static Pods that use a renewed file.
 */
package io.kubeforge.worker.renew;
