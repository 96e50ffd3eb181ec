package io.kubeforge.worker.renew;

import java.util.Comparator;
import java.util.List;

/**
 * RenewCatalog is kubeadm's renewal list ({@code renewal.NewManager}) as data: every leaf of the
 * certificate tree (the CAs are never renewed) and the four kubeconfig files whose embedded client
 * certificate kubeadm renews ({@code kubelet.conf} is left to the kubelet's own rotation), each
 * with the CA that signs it and the static Pods that read it. kubeadm renews in name order.
 */
final class RenewCatalog {
  /** Kind of item: a certificate and key pair under the certificate directory, or a kubeconfig. */
  enum Kind { CERTIFICATE, KUBECONFIG }

  /**
   * Item is one renewable certificate.
   *
   * @param name kubeadm's name ({@code apiserver}, {@code admin.conf}, ...)
   * @param kind where the certificate lives
   * @param baseName file base name below the certificate directory, or the kubeconfig file name
   * @param caBaseName the signing CA's base name ({@code ca}, {@code front-proxy-ca}, {@code etcd/ca})
   * @param etcd true for the certificates of a local etcd (absent with an external etcd)
   * @param components the static Pods that read the file
   */
  record Item(String name, Kind kind, String baseName, String caBaseName, boolean etcd, List<String> components) {
    String certFile() {
      return kind == Kind.CERTIFICATE ? baseName + ".crt" : baseName;
    }

    String keyFile() {
      return baseName + ".key";
    }
  }

  private static final String API = "kube-apiserver";

  static final List<Item> ITEMS = List.of(
      new Item("apiserver", Kind.CERTIFICATE, "apiserver", "ca", false, List.of(API)),
      new Item("apiserver-kubelet-client", Kind.CERTIFICATE, "apiserver-kubelet-client", "ca", false, List.of(API)),
      new Item("front-proxy-client", Kind.CERTIFICATE, "front-proxy-client", "front-proxy-ca", false, List.of(API)),
      new Item("etcd-server", Kind.CERTIFICATE, "etcd/server", "etcd/ca", true, List.of("etcd")),
      new Item("etcd-peer", Kind.CERTIFICATE, "etcd/peer", "etcd/ca", true, List.of("etcd")),
      new Item("etcd-healthcheck-client", Kind.CERTIFICATE, "etcd/healthcheck-client", "etcd/ca", true, List.of()),
      new Item("apiserver-etcd-client", Kind.CERTIFICATE, "apiserver-etcd-client", "etcd/ca", true, List.of(API)),
      new Item("admin.conf", Kind.KUBECONFIG, "admin.conf", "ca", false, List.of()),
      new Item("super-admin.conf", Kind.KUBECONFIG, "super-admin.conf", "ca", false, List.of()),
      new Item("controller-manager.conf", Kind.KUBECONFIG, "controller-manager.conf", "ca", false,
          List.of("kube-controller-manager")),
      new Item("scheduler.conf", Kind.KUBECONFIG, "scheduler.conf", "ca", false, List.of("kube-scheduler")));

  private RenewCatalog() {}

  /** Returns the items of a cluster in kubeadm's order (by name); no etcd items with an external etcd. */
  static List<Item> forCluster(boolean localEtcd) {
    return ITEMS.stream().filter(i -> localEtcd || !i.etcd()).sorted(Comparator.comparing(Item::name)).toList();
  }
}
