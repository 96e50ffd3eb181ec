/**
 * Static Pod manifests of the control plane, as kubeadm's {@code phases/controlplane} and
 * {@code phases/etcd} write them.
 *
 * <p>Inputs: {@link io.kubeforge.worker.config.ClusterModel} — certificatesDir, kubeconfig dir,
 * localAPIEndpoint, controlPlaneEndpoint, networking, kubernetesVersion, imageRepository, etcd
 * (local or external), the components' extraArgs/extraVolumes/extraEnvs, the
 * controlPlaneComponentHealthCheck timeout and an optional EncryptionConfiguration path; a
 * {@link io.kubeforge.worker.config.HostProbe} for optional CA directories and proxy variables.
 *
 * <p>Outputs: {@code <manifest_dir>/kube-apiserver.yaml}, {@code kube-controller-manager.yaml},
 * {@code kube-scheduler.yaml} and, for local etcd, {@code etcd.yaml}; mode 0600, directory 0700,
 * written atomically, previous content backed up when replaced.
 */
package io.kubeforge.worker.manifests;
