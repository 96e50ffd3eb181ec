/**
 * PHASE: CA ROTATION (beyond kubeadm, which has none; the procedure of the Kubernetes task
 * "Manual Rotation of CA Certificates" as three idempotent steps).
 *
 * <p>INPUTS: from {@code POST /v1/ca-rotate}: {@code phase} ({@code prepare}, {@code reissue},
 * {@code finish}), {@code ca} ({@code kubernetes}, {@code front-proxy}, {@code etcd},
 * {@code service-account}; each rotated on its own), {@code cert_dir}, {@code kubeconfig_dir},
 * {@code kubeconfigs}, {@code new_cert}/{@code new_key} (the new CA made on the first control
 * plane, for the other nodes), {@code key_algorithm}, {@code ca_certificate_validity},
 * {@code certificate_validity}, {@code backup}, {@code force}, {@code update_cluster_info} and
 * the cluster options of {@link io.kubeforge.worker.kube.ClusterAccess}.
 *
 * <p>STATE lives in files, so a run that stops midway resumes: the new CA is
 * {@code <cert_dir>/rotation/<ca>/new.crt} and {@code new.key} (0600; for the service account
 * only {@code new.key}).
 * <ul>
 *   <li>{@code prepare}: makes the new CA (or takes {@code new_cert}/{@code new_key}); the CA's
 *       trust bundle ({@code ca.crt}, {@code front-proxy-ca.crt}, {@code etcd/ca.crt}) becomes old
 *       then new; for the kubernetes CA also every kubeconfig's
 *       {@code certificate-authority-data} and, with {@code update_cluster_info}, the
 *       {@code kube-public/cluster-info} ConfigMap; {@code ca_cert_hashes} lists both join pins.
 *       {@code ca.key} stays the old key, so the first certificate of {@code ca.crt} still
 *       matches it. For the service account {@code sa.pub} holds the old and the new public key.
 *   <li>{@code reissue}: every leaf of that CA in {@code cert_dir} and every kubeconfig client
 *       certificate is re-signed by the new CA: same subject, key, usages and SANs, new validity.
 *       For the service account {@code sa.key} becomes the new key ({@code sa.pub} keeps both).
 *   <li>{@code finish}: {@code ca.crt}/{@code ca.key} become the new CA alone, the bundles and
 *       kubeconfigs drop the old CA (backed up); refused while a leaf is still signed by the old
 *       CA unless {@code force}. For the service account {@code sa.pub} keeps only the new key.
 * </ul>
 * Every file is compared first, replaced ones are backed up, keys are written 0600 and
 * atomically; a second run of a phase writes nothing. A node without the CA key (a worker) only
 * updates its trust ({@code ca.crt}, {@code kubelet.conf}) from {@code new_cert}.
 */
package io.kubeforge.worker.carotate;
