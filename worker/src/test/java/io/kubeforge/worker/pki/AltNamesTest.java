package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SAN rules of kubeadm.md §1.3. */
class AltNamesTest {
  private static final Path DIR = Path.of("/tmp/unused");
  private static final List<String> KUBERNETES = List.of("kubernetes", "kubernetes.default", "kubernetes.default.svc");

  static Stream<Arguments> apiServerCases() {
    return Stream.of(
        Arguments.of("defaults give node, kubernetes names, 10.96.0.1 and the advertise address",
            new Object[] {}, dns("cp-1", "kubernetes.default.svc.cluster.local"), List.of("10.96.0.1", "192.168.0.10")),
        Arguments.of("an IPv6 advertise address is added as IPv6",
            new Object[] {"advertise_address", "fd00:10::10", "service_subnet", "fd00:96::/108"},
            dns("cp-1", "kubernetes.default.svc.cluster.local"), List.of("fd00:96::1", "fd00:10::10")),
        Arguments.of("dual stack takes the first usable IP of the first CIDR only",
            new Object[] {"service_subnet", "10.96.0.0/12,fd00::/108"},
            dns("cp-1", "kubernetes.default.svc.cluster.local"), List.of("10.96.0.1", "192.168.0.10")),
        Arguments.of("a service CIDR with host bits set is masked first",
            new Object[] {"service_subnet", "10.100.7.9/16"},
            dns("cp-1", "kubernetes.default.svc.cluster.local"), List.of("10.100.0.1", "192.168.0.10")),
        Arguments.of("a control plane endpoint DNS name with port adds a DNS SAN",
            new Object[] {"control_plane_endpoint", "k8s.example.com:8443"},
            dns("cp-1", "k8s.example.com", "kubernetes.default.svc.cluster.local"), List.of("10.96.0.1", "192.168.0.10")),
        Arguments.of("a control plane endpoint IP with port adds an IP SAN",
            new Object[] {"control_plane_endpoint", "192.168.0.100:6443"},
            dns("cp-1", "kubernetes.default.svc.cluster.local"), List.of("10.96.0.1", "192.168.0.10", "192.168.0.100")),
        Arguments.of("a bracketed IPv6 control plane endpoint adds an IPv6 SAN",
            new Object[] {"control_plane_endpoint", "[fd00::100]:6443"},
            dns("cp-1", "kubernetes.default.svc.cluster.local"), List.of("10.96.0.1", "192.168.0.10", "fd00::100")),
        Arguments.of("a custom dns domain changes the svc name",
            new Object[] {"dns_domain", "corp.example"},
            dns("cp-1", "kubernetes.default.svc.corp.example"), List.of("10.96.0.1", "192.168.0.10")),
        Arguments.of("extra SANs are classified, DNS sorted, IPs de-duplicated in first-seen order",
            new Object[] {"apiserver_cert_sans", List.of("10.0.0.5", "a.example.com", "*.apps.example.com",
                "192.168.0.10", "kubernetes", "::ffff:10.0.0.6")},
            dns("*.apps.example.com", "a.example.com", "cp-1", "kubernetes.default.svc.cluster.local"),
            List.of("10.96.0.1", "192.168.0.10", "10.0.0.5", "10.0.0.6")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("apiServerCases")
  void apiServerSans(String name, Object[] body, List<String> dns, List<String> ips) {
    AltNames sans = AltNames.apiServer(PkiTrees.options(DIR, body));
    assertThat(sans.dnsNames()).isEqualTo(dns);
    assertThat(sans.ipStrings()).isEqualTo(ips);
  }

  @Test
  void etcdServerAndPeerSansHaveLoopbacksAndTheirOwnExtras() {
    PkiOptions o = PkiTrees.options(DIR, "etcd_server_cert_sans", List.of("etcd.example.com", "10.0.0.7"),
        "etcd_peer_cert_sans", List.of("peer.example.com"));
    assertThat(AltNames.etcdServer(o).dnsNames()).containsExactly("cp-1", "etcd.example.com", "localhost");
    assertThat(AltNames.etcdServer(o).ipStrings()).containsExactly("192.168.0.10", "127.0.0.1", "::1", "10.0.0.7");
    assertThat(AltNames.etcdPeer(o).dnsNames()).containsExactly("cp-1", "localhost", "peer.example.com");
    assertThat(AltNames.etcdPeer(o).ipStrings()).containsExactly("192.168.0.10", "127.0.0.1", "::1");
  }

  @Test
  void theFirstInvalidExtraSanIsFoundByItsIndex() {
    assertThat(AltNames.firstInvalid(List.of("ok.example.com", "10.0.0.1", "*.example.com", "x!"))).isEqualTo(3);
    assertThat(AltNames.firstInvalid(List.of("ok.example.com", "fd00::1"))).isEqualTo(-1);
  }

  @Test
  void describeListsDnsThenIps() {
    AltNames a = AltNames.parseExtra(List.of("b.example", "::1", "a.example", "10.0.0.1"));
    assertThat(a.describe()).isEqualTo("DNS:a.example, DNS:b.example, IP:::1, IP:10.0.0.1");
  }

  private static List<String> dns(String... extra) {
    java.util.TreeSet<String> s = new java.util.TreeSet<>(KUBERNETES);
    s.addAll(List.of(extra));
    return List.copyOf(s);
  }
}
