package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PkiOptionsTest {
  private static PkiOptions parse(Map<String, Object> body) {
    return PkiOptions.fromMap(body, () -> "CP-Host.Example");
  }

  @Test
  void defaultsAreThoseOfTheApiContract() {
    PkiOptions o = parse(Map.of("advertise_address", "10.0.0.1"));
    assertThat(o.certDir()).isEqualTo(Path.of("/etc/kubernetes/pki"));
    assertThat(o.nodeName()).isEqualTo("cp-host.example");
    assertThat(o.bindPort()).isEqualTo(6443);
    assertThat(o.controlPlaneEndpoint()).isEmpty();
    assertThat(o.serviceSubnets()).extracting(Object::toString).containsExactly("10.96.0.0/12");
    assertThat(o.dnsDomain()).isEqualTo("cluster.local");
    assertThat(o.apiServerCertSans().isEmpty()).isTrue();
    assertThat(o.localEtcd()).isTrue();
    assertThat(o.keyAlgorithm()).isEqualTo(KeyAlgorithm.RSA_2048);
    assertThat(o.certificateValidity()).isEqualTo(Duration.ofHours(8760));
    assertThat(o.caCertificateValidity()).isEqualTo(Duration.ofHours(87600));
    assertThat(o.backup()).isTrue();
  }

  @Test
  void nullValuesMeanDefaultsAsAnsibleSendsThem() {
    Map<String, Object> body = new HashMap<>();
    body.put("advertise_address", "10.0.0.1");
    for (String f : List.of("cert_dir", "node_name", "bind_port", "control_plane_endpoint", "service_subnet",
        "dns_domain", "apiserver_cert_sans", "etcd", "key_algorithm", "certificate_validity", "backup", "dry_run")) {
      body.put(f, null);
    }
    assertThat(parse(body)).isEqualTo(parse(Map.of("advertise_address", "10.0.0.1")));
  }

  @Test
  void everyFieldIsRead() {
    PkiOptions o = parse(Map.ofEntries(Map.entry("cert_dir", "/srv/pki/"), Map.entry("node_name", "node-a"),
        Map.entry("advertise_address", "fd00::10"), Map.entry("bind_port", 7443.0),
        Map.entry("control_plane_endpoint", "lb.example.com"), Map.entry("service_subnet", "fd00::/108,10.96.0.0/12"),
        Map.entry("dns_domain", "corp.example"), Map.entry("etcd", "external"),
        Map.entry("key_algorithm", "ECDSA-P384"), Map.entry("certificate_validity", "1h30m"),
        Map.entry("ca_certificate_validity", "17520h"), Map.entry("backup", false), Map.entry("dry_run", true)));
    assertThat(o.certDir()).isEqualTo(Path.of("/srv/pki"));
    assertThat(o.bindPort()).isEqualTo(7443);
    assertThat(o.controlPlaneEndpoint()).contains(new PkiOptions.Endpoint("lb.example.com", 7443));
    assertThat(o.serviceSubnets()).hasSize(2);
    assertThat(o.localEtcd()).isFalse();
    assertThat(o.keyAlgorithm()).isEqualTo(KeyAlgorithm.ECDSA_P384);
    assertThat(o.certificateValidity()).isEqualTo(Duration.ofMinutes(90));
    assertThat(o.backup()).isFalse();
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of("missing advertise_address", Map.of(), "request.missing_field", "advertise_address"),
        Arguments.of("advertise_address with leading zeros", Map.of("advertise_address", "010.0.0.1"),
            "pki.invalid_ip", "advertise_address"),
        Arguments.of("advertise_address out of range", Map.of("advertise_address", "10.0.0.256"), "pki.invalid_ip",
            "advertise_address"),
        Arguments.of("advertise_address as a host name", Map.of("advertise_address", "example.com"), "pki.invalid_ip",
            "advertise_address"),
        Arguments.of("advertise_address unspecified", Map.of("advertise_address", "0.0.0.0"), "pki.invalid_ip",
            "advertise_address"),
        Arguments.of("advertise_address with IPv6 zone", Map.of("advertise_address", "fe80::1%eth0"),
            "pki.invalid_ip", "advertise_address"),
        Arguments.of("service_subnet without prefix", with("service_subnet", "10.96.0.0"), "pki.invalid_cidr",
            "service_subnet"),
        Arguments.of("service_subnet prefix too long", with("service_subnet", "10.96.0.0/33"), "pki.invalid_cidr",
            "service_subnet"),
        Arguments.of("dual stack of one family", with("service_subnet", "10.96.0.0/12,10.97.0.0/16"),
            "pki.invalid_cidr", "service_subnet"),
        Arguments.of("three service subnets", with("service_subnet", "10.96.0.0/12,fd00::/108,10.1.0.0/16"),
            "pki.invalid_cidr", "service_subnet"),
        Arguments.of("duration without unit", with("certificate_validity", "8760"), "pki.invalid_duration",
            "certificate_validity"),
        Arguments.of("days are not a Go unit", with("certificate_validity", "365d"), "pki.invalid_duration",
            "certificate_validity"),
        Arguments.of("zero duration", with("ca_certificate_validity", "0s"), "pki.invalid_duration",
            "ca_certificate_validity"),
        Arguments.of("negative duration", with("certificate_validity", "-1h"), "pki.invalid_duration",
            "certificate_validity"),
        Arguments.of("duration over 100 years", with("certificate_validity", "876001h"), "pki.invalid_duration",
            "certificate_validity"),
        Arguments.of("invalid apiserver SAN", with("apiserver_cert_sans", List.of("ok.example", "x!")),
            "pki.invalid_san", "apiserver_cert_sans[1]"),
        Arguments.of("upper-case etcd SAN", with("etcd_peer_cert_sans", List.of("Peer.Example")), "pki.invalid_san",
            "etcd_peer_cert_sans[0]"),
        Arguments.of("SAN list item not a string", with("etcd_server_cert_sans", List.of(5)), "request.wrong_type",
            "etcd_server_cert_sans[0]"),
        Arguments.of("SANs as a string", with("apiserver_cert_sans", "a.example"), "request.wrong_type",
            "apiserver_cert_sans"),
        Arguments.of("relative cert_dir", with("cert_dir", "etc/kubernetes/pki"), "pki.invalid_path", "cert_dir"),
        Arguments.of("cert_dir with ..", with("cert_dir", "/etc/kubernetes/../../tmp"), "pki.invalid_path", "cert_dir"),
        Arguments.of("unknown field", with("certificate_validty", "1h"), "request.unknown_field",
            "certificate_validty"),
        Arguments.of("backup as a string", with("backup", "yes"), "request.wrong_type", "backup"),
        Arguments.of("bind_port as a string", with("bind_port", "6443"), "request.wrong_type", "bind_port"),
        Arguments.of("bind_port out of range", with("bind_port", 70000), "pki.invalid_port", "bind_port"),
        Arguments.of("fractional bind_port", with("bind_port", 6443.5), "request.wrong_type", "bind_port"),
        Arguments.of("endpoint with a bad port", with("control_plane_endpoint", "lb.example.com:http"),
            "pki.invalid_endpoint", "control_plane_endpoint"),
        Arguments.of("endpoint with port 0", with("control_plane_endpoint", "lb.example.com:0"), "pki.invalid_port",
            "control_plane_endpoint"),
        Arguments.of("endpoint host with underscore", with("control_plane_endpoint", "lb_1.example.com"),
            "pki.invalid_endpoint", "control_plane_endpoint"),
        Arguments.of("unknown key algorithm", with("key_algorithm", "RSA-1024"), "pki.invalid_choice",
            "key_algorithm"),
        Arguments.of("key algorithm in lower case", with("key_algorithm", "ecdsa-p256"), "pki.invalid_choice",
            "key_algorithm"),
        Arguments.of("etcd mode neither local nor external", with("etcd", "stacked"), "pki.invalid_choice", "etcd"),
        Arguments.of("node name with upper case", with("node_name", "CP-1"), "pki.invalid_name", "node_name"),
        Arguments.of("dns domain with a trailing dot", with("dns_domain", "cluster.local."), "pki.invalid_name",
            "dns_domain"));
  }

  @ParameterizedTest(name = "{0} is refused")
  @MethodSource("badInput")
  void refusesBadInputNamingTheField(String name, Map<String, Object> body, String code, String field) {
    assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.getMessage()).startsWith(field + ": ");
    });
  }

  @Test
  void anInvalidHostNameAsDefaultNodeNameSaysToSetNodeName() {
    assertThatThrownBy(() -> PkiOptions.fromMap(Map.of("advertise_address", "10.0.0.1"), () -> "my_host"))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.getMessage()).contains("set node_name"));
  }

  private static Map<String, Object> with(String key, Object value) {
    return Map.of("advertise_address", "10.0.0.1", key, value);
  }
}
