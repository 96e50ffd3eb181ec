/**
 * KUBERNETES CLIENT: the only code in the worker that talks to an API server.
 *
 * <p>{@link io.kubeforge.worker.kube.KubeClient} opens a client from a kubeconfig
 * ({@link io.kubeforge.worker.kube.Kubeconfig}: client certificates in PKCS#1, SEC 1 or PKCS#8
 * PEM, or bearer tokens; TLS always verified against the kubeconfig's CA; {@code HTTPS_PROXY} and
 * {@code NO_PROXY} as kubectl reads them) on the worker's own Vert.x, made only when a cluster
 * call first needs it. Create-or-update is server-side apply with field manager
 * {@code kubeforge}; {@link io.kubeforge.worker.kube.Kinds} maps kinds to REST paths (data);
 * every failure is one {@link io.kubeforge.worker.kube.KubeException}.
 *
 * <p>{@link io.kubeforge.worker.kube.EtcdClient} is the other way out: a stacked etcd cluster's
 * membership API (list, add as learner, promote) through etcd's v3 JSON gateway over mutual TLS, on
 * the same Vert.x, for a control plane that joins.
 *
 * <p>Beside the client, the pieces of kubeadm's cluster machinery that several phases share:
 * the bootstrap-token format and Secret, the cluster-info JWS, the admin binding bootstrap.
 */
package io.kubeforge.worker.kube;
