/**
 * PHASE: DOWNLOAD CERTS (kubeadm {@code join --control-plane --certificate-key}'s
 * {@code control-plane-prepare download-certs}, {@code copycerts.DownloadCerts}).
 *
 * <p>INPUTS: from {@code POST /v1/download-certs}: {@code certificate_key} (hex of a 16, 24 or 32
 * byte AES key), {@code cert_dir}, the external etcd files ({@code etcd_external_ca_file},
 * {@code etcd_external_cert_file}, {@code etcd_external_key_file}: where those entries go),
 * {@code backup}, and the cluster options of {@link io.kubeforge.worker.kube.ClusterAccess} (on a
 * joining node usually {@code kubeconfig: /etc/kubernetes/bootstrap-kubelet.conf}, whose token's
 * group may read only this Secret).
 *
 * <p>OUTPUTS: the shared CAs and service-account keys of {@code kube-system/kubeadm-certs}
 * ({@link io.kubeforge.worker.kube.KubeadmCerts}, the layout upload-certs writes): every entry is
 * opened before anything is written, so a wrong key or a missing entry writes nothing. Private
 * keys 0600, certificates and public keys 0644 (as kubeadm), each compared first, backed up when
 * different, a key and its certificate committed together. A missing Secret, or one whose owner
 * token has expired, is a clear error.
 */
package io.kubeforge.worker.downloadcerts;
