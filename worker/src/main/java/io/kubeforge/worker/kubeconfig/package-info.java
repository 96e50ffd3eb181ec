/**
 * Kubeconfig files kubeadm writes for the control plane (phases/kubeconfig).
 *
 * <p>Inputs: {@link io.kubeforge.worker.config.ClusterModel} — clusterName, controlPlaneEndpoint,
 * localAPIEndpoint, nodeRegistration.name, encryptionAlgorithm, certificateValidityPeriod,
 * certificatesDir (for {@code ca.crt} and {@code ca.key}) and the kubeconfig directory.
 *
 * <p>Outputs: {@code <kubeconfig_dir>/admin.conf}, {@code super-admin.conf},
 * {@code controller-manager.conf}, {@code scheduler.conf}, {@code kubelet.conf}: one cluster,
 * one user with an embedded client certificate signed by the cluster CA and its key, one
 * context; mode 0600, written atomically; a replaced file is backed up first.
 */
package io.kubeforge.worker.kubeconfig;
