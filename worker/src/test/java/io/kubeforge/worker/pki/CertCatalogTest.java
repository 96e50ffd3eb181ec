package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertCatalogTest {
  @Test
  void defaultListIsKubeadmsInOrderWithBaseNames() {
    List<CertSpec> specs = CertCatalog.forOptions(PkiTrees.options(Path.of("/x")));
    assertThat(specs).extracting(CertSpec::name).containsExactly("ca", "apiserver", "apiserver-kubelet-client",
        "front-proxy-ca", "front-proxy-client", "etcd-ca", "etcd-server", "etcd-peer", "etcd-healthcheck-client",
        "apiserver-etcd-client");
    assertThat(specs).extracting(CertSpec::baseName).containsExactly("ca", "apiserver", "apiserver-kubelet-client",
        "front-proxy-ca", "front-proxy-client", "etcd/ca", "etcd/server", "etcd/peer", "etcd/healthcheck-client",
        "apiserver-etcd-client");
    assertThat(specs).extracting(CertSpec::caName).containsExactly(null, "ca", "ca", null, "front-proxy-ca",
        null, "etcd-ca", "etcd-ca", "etcd-ca", "etcd-ca");
  }

  @Test
  void externalEtcdDropsTheFiveEtcdEntries() {
    List<CertSpec> specs = CertCatalog.forOptions(PkiTrees.options(Path.of("/x"), "etcd", "external"));
    assertThat(specs).extracting(CertSpec::name).containsExactly("ca", "apiserver", "apiserver-kubelet-client",
        "front-proxy-ca", "front-proxy-client");
  }

  @Test
  void mutatorsSetTheNodeNameAsEtcdCommonNameAndFillSans() {
    List<CertSpec> specs = CertCatalog.forOptions(PkiTrees.options(Path.of("/x"), "node_name", "node-7"));
    CertSpec server = specs.stream().filter(s -> s.name().equals("etcd-server")).findFirst().orElseThrow();
    assertThat(server.commonName()).isEqualTo("node-7");
    assertThat(server.altNames().dnsNames()).containsExactly("localhost", "node-7");
    assertThat(CertCatalog.cas(specs)).extracting(CertSpec::name).containsExactly("ca", "front-proxy-ca", "etcd-ca");
    assertThat(CertCatalog.leavesOf(specs, "front-proxy-ca")).extracting(CertSpec::name)
        .containsExactly("front-proxy-client");
  }

  @Test
  void casCarryTheirCommonNameAsDnsSan() {
    assertThat(CertCatalog.ETCD_CA.altNames().dnsNames()).containsExactly("etcd-ca");
    assertThat(CertCatalog.CA.isCa()).isTrue();
  }
}
