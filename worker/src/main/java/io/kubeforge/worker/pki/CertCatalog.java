package io.kubeforge.worker.pki;

import io.kubeforge.worker.pki.CertSpec.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * CertCatalog is kubeadm's certificate list ({@code phases/certs/certlist.go}) as data: every
 * certificate with its CN, O, usages and file base name, plus the mutators that fill in what is
 * only known from the request (SANs, the node name as CN of the etcd serving certificates).
 */
public final class CertCatalog {
  /** Kubernetes general CA. */
  public static final CertSpec CA = CertSpec.ca("ca", "ca", "kubernetes");
  /** API server serving certificate; SANs from {@link AltNames#apiServer}. */
  public static final CertSpec APISERVER = CertSpec.leaf("apiserver", "apiserver", "ca",
      "kube-apiserver", List.of(), List.of(Usage.SERVER_AUTH));
  /**
   * Client certificate the API server uses towards kubelets. No Organization, as kubeadm 1.34
   * (certlist.go KubeadmCertKubeletClient): the user is bound to system:kubelet-api-admin by the
   * ClusterRoleBinding kubeadm:apiserver-kubelet-client, which the bootstrap phase creates.
   */
  public static final CertSpec APISERVER_KUBELET_CLIENT = CertSpec.leaf("apiserver-kubelet-client",
      "apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client",
      List.of(), List.of(Usage.CLIENT_AUTH));
  /** Front proxy CA (aggregation layer). */
  public static final CertSpec FRONT_PROXY_CA = CertSpec.ca("front-proxy-ca", "front-proxy-ca", "front-proxy-ca");
  /** Front proxy client certificate. */
  public static final CertSpec FRONT_PROXY_CLIENT = CertSpec.leaf("front-proxy-client",
      "front-proxy-client", "front-proxy-ca", "front-proxy-client", List.of(), List.of(Usage.CLIENT_AUTH));
  /** Etcd CA. */
  public static final CertSpec ETCD_CA = CertSpec.ca("etcd-ca", "etcd/ca", "etcd-ca");
  /**
   * Etcd serving certificate; CN becomes the node name. It also carries clientAuth, an
   * undocumented etcd requirement (etcd-io/etcd#9785).
   */
  public static final CertSpec ETCD_SERVER = CertSpec.leaf("etcd-server", "etcd/server", "etcd-ca",
      "kube-etcd", List.of(), List.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH));
  /** Etcd peer certificate; CN becomes the node name. */
  public static final CertSpec ETCD_PEER = CertSpec.leaf("etcd-peer", "etcd/peer", "etcd-ca",
      "kube-etcd-peer", List.of(), List.of(Usage.SERVER_AUTH, Usage.CLIENT_AUTH));
  /** Client certificate of etcd's liveness probe. */
  public static final CertSpec ETCD_HEALTHCHECK_CLIENT = CertSpec.leaf("etcd-healthcheck-client",
      "etcd/healthcheck-client", "etcd-ca", "kube-etcd-healthcheck-client", List.of(),
      List.of(Usage.CLIENT_AUTH));
  /** Client certificate the API server uses towards etcd. */
  public static final CertSpec APISERVER_ETCD_CLIENT = CertSpec.leaf("apiserver-etcd-client",
      "apiserver-etcd-client", "etcd-ca", "kube-apiserver-etcd-client", List.of(),
      List.of(Usage.CLIENT_AUTH));

  /** Base name of the service-account key pair ({@code sa.key}, {@code sa.pub}). */
  public static final String SERVICE_ACCOUNT_BASE = "sa";
  /** Service-account private key file. */
  public static final String SA_KEY = SERVICE_ACCOUNT_BASE + ".key";
  /** Service-account public key file (PKIX, mode 0600 as kubeadm writes it). */
  public static final String SA_PUB = SERVICE_ACCOUNT_BASE + ".pub";

  private record Entry(CertSpec spec, BiFunction<CertSpec, PkiOptions, CertSpec> mutator, boolean etcd) {}

  private static final List<Entry> ENTRIES = List.of(
      new Entry(CA, (s, o) -> s, false),
      new Entry(APISERVER, (s, o) -> s.withAltNames(AltNames.apiServer(o)), false),
      new Entry(APISERVER_KUBELET_CLIENT, (s, o) -> s, false),
      new Entry(FRONT_PROXY_CA, (s, o) -> s, false),
      new Entry(FRONT_PROXY_CLIENT, (s, o) -> s, false),
      new Entry(ETCD_CA, (s, o) -> s, true),
      new Entry(ETCD_SERVER, (s, o) -> s.withCommonName(o.nodeName()).withAltNames(AltNames.etcdServer(o)), true),
      new Entry(ETCD_PEER, (s, o) -> s.withCommonName(o.nodeName()).withAltNames(AltNames.etcdPeer(o)), true),
      new Entry(ETCD_HEALTHCHECK_CLIENT, (s, o) -> s, true),
      new Entry(APISERVER_ETCD_CLIENT, (s, o) -> s, true));

  private CertCatalog() {}

  /**
   * Returns the certificates for a request in kubeadm's order ({@code GetDefaultCertList}, or
   * {@code GetCertsWithoutEtcd} when etcd is external), mutators applied.
   */
  public static List<CertSpec> forOptions(PkiOptions options) {
    List<CertSpec> out = new ArrayList<>();
    for (Entry e : ENTRIES) {
      if (e.etcd() && !options.localEtcd()) {
        continue;
      }
      out.add(e.mutator().apply(e.spec(), options));
    }
    return List.copyOf(out);
  }

  /** Returns the CAs of a resolved list, in catalog order. */
  public static List<CertSpec> cas(List<CertSpec> specs) {
    return specs.stream().filter(CertSpec::isCa).toList();
  }

  /** Returns the leaves issued by {@code caName}, in catalog order. */
  public static List<CertSpec> leavesOf(List<CertSpec> specs, String caName) {
    return specs.stream().filter(s -> caName.equals(s.caName())).toList();
  }

  /** Returns all certificate specs of the catalog without request-specific parts, in order. */
  public static List<CertSpec> all() {
    return ENTRIES.stream().map(Entry::spec).toList();
  }
}
