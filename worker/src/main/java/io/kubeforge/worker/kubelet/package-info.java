/**
 * The kubelet's configuration file, as kubeadm's {@code componentconfigs/kubelet.go} defaults it
 * and {@code phases/kubelet} writes it.
 *
 * <p>Inputs: {@link io.kubeforge.worker.config.ClusterModel} — certificatesDir, networking
 * (serviceSubnet → clusterDNS, dnsDomain), manifest dir, criSocket, an optional user
 * {@code KubeletConfiguration} document; a {@link io.kubeforge.worker.config.HostProbe} for
 * systemd-resolved's {@code resolv.conf}.
 *
^ * <p>Outputs: {@code kubelet_config_path} (default {@code /var/lib/kubelet/config.yaml}), a
 * {@code kubelet.config.k8s.io/v1beta1} {@code KubeletConfiguration}, plus {@code instance-config.yaml}
 * and {@code kubeadm-flags.env} beside it; mode 0644 as kubeadm, written atomically.
 */
package io.kubeforge.worker.kubelet;
