/**
 * The cluster half of {@code kubeadm init}: what kubeadm creates through the API server once it is
 * up (kubeadm.md §5), rendered from templates and applied by server-side apply.
 *
 * <p>Inputs: {@link io.kubeforge.worker.config.ClusterModel} (networking, endpoints, image
 * repository, version, extras, an optional KubeletConfiguration), the CA certificate, and, when
 * applying, the {@code kube} client.
 *
 * <p>Outputs: the objects of {@code upload-config}, the bootstrap-token RBAC and
 * {@code cluster-info}, {@code mark-control-plane} and the CoreDNS and kube-proxy addons, each
 * reported {@code created|updated|unchanged}. Templates: {@code worker/src/main/resources/cluster/}.
 */
package io.kubeforge.worker.cluster;
