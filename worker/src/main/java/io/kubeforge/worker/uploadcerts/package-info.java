/**
 * PHASE: UPLOAD CERTS (kubeadm {@code init phase upload-certs --upload-certs},
 * {@code cmd/kubeadm/app/phases/copycerts}).
 *
 * <p>INPUTS: from {@code POST /v1/upload-certs}: {@code cert_dir}, {@code certificate_key} (64 hex
 * characters; generated when absent), the external etcd files ({@code etcd_external_ca_file},
 * {@code etcd_external_cert_file}, {@code etcd_external_key_file}), and the cluster options of
 * {@link io.kubeforge.worker.kube.ClusterAccess}. The files: {@code ca.crt/key},
 * {@code front-proxy-ca.crt/key}, {@code sa.pub/key}, {@code etcd/ca.crt/key} (local etcd).
 *
 * <p>OUTPUTS: {@code kube-system/kubeadm-certs} (each file AES-256-GCM sealed under the
 * certificate key, {@code /} in names as {@code -}, a missing file as an empty value), owned by a
 * short-lived bootstrap token (2h, no usages, no groups) so the garbage collector deletes it with
 * the token; Role and RoleBinding {@code kubeadm:kubeadm-certs}. As data the certificate key (for
 * the caller to keep secret), the owner token's id and expiry. With the same key, a second run
 * keeps every value whose file did not change and the owner token while it has more than
 * {@link io.kubeforge.worker.uploadcerts.UploadCertsPhase#MIN_OWNER_LIFE} left, so it writes
 * nothing (kubeadm re-encrypts and makes a new token every time).
 */
package io.kubeforge.worker.uploadcerts;
