/**
 * The kubeadm configuration model every rendering capability reads, and the YAML plumbing they
 * share.
 *
 * <p>Inputs: a request body with {@code kubeadm_config} (kubeadm's {@code InitConfiguration},
 * {@code ClusterConfiguration}, {@code JoinConfiguration} in {@code kubeadm.k8s.io/v1beta4}, or
 * {@code v1beta3} converted as kubeadm converts it, plus an optional {@code KubeletConfiguration};
 * YAML text or an absolute path) and/or the modules' snake_case options, which override the YAML.
 *
 * <p>Outputs: a defaulted, validated {@link io.kubeforge.worker.config.ClusterModel}; bad input is
 * a {@link io.kubeforge.worker.support.WorkerException#badInput} naming the field
 * ({@code ClusterConfiguration.networking.serviceSubnet}, {@code service_subnet}).
 * {@link io.kubeforge.worker.config.KubeYaml} writes YAML byte for byte as Kubernetes does;
 * {@link io.kubeforge.worker.config.SafeYaml} reads untrusted YAML with bounded, tag-free parsing.
 */
package io.kubeforge.worker.config;
