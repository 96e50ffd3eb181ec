package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.PkiOptions;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClusterModelTest {

  @Test
  void optionsAloneGetKubeadmDefaults() {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.singleStack());
    assertThat(m.certDir()).isEqualTo(Path.of("/etc/kubernetes/pki"));
    assertThat(m.kubeconfigDir()).isEqualTo(Path.of("/etc/kubernetes"));
    assertThat(m.manifestDir()).isEqualTo(Path.of("/etc/kubernetes/manifests"));
    assertThat(m.kubeletConfigPath()).isEqualTo(Path.of("/var/lib/kubelet/config.yaml"));
    assertThat(m.serviceSubnet()).isEqualTo("10.96.0.0/12");
    assertThat(m.dnsDomain()).isEqualTo("cluster.local");
    assertThat(m.clusterName()).isEqualTo("kubernetes");
    assertThat(m.kubernetesVersion()).isEqualTo("v1.34.10");
    assertThat(m.imageRepository()).isEqualTo("registry.k8s.io");
    assertThat(m.bindPort()).isEqualTo(6443);
    assertThat(m.etcd().local().dataDir()).isEqualTo("/var/lib/etcd");
    assertThat(m.keyAlgorithm()).isEqualTo("RSA-2048");
    assertThat(m.certificateValidity()).isEqualTo(Duration.ofHours(8760));
    assertThat(m.caCertificateValidity()).isEqualTo(Duration.ofHours(87600));
    assertThat(m.controlPlaneComponentHealthCheck()).isEqualTo(Duration.ofMinutes(4));
    assertThat(m.clusterDnsIp()).isEqualTo("10.96.0.10");
    assertThat(m.encryptionConfigPath()).isNull();
  }

  @Test
  void theDualStackKubeadmConfigurationIsReadWithEveryField() {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.dualStack());
    assertThat(m.advertiseAddress()).isEqualTo("fd00:10:0:1::11");
    assertThat(m.nodeName()).isEqualTo("cp-1");
    assertThat(m.controlPlaneEndpoint()).isEqualTo("cp.example.internal:8443");
    assertThat(m.serviceSubnets()).containsExactly("10.96.0.0/12", "fd00:10:96::/112");
    assertThat(m.clusterName()).isEqualTo("lab");
    assertThat(m.apiServerCertSans()).containsExactly("cp.example.internal", "10.0.0.100", "fd00:10::100");
    assertThat(m.apiServer().extraArgs()).containsExactly(new Arg("audit-log-path", "/var/log/kubernetes/audit/audit.log"),
        new Arg("audit-log-maxage", "30"));
    assertThat(m.apiServer().extraEnvs()).containsExactly(new EnvVar("GOMAXPROCS", "4"));
    assertThat(m.apiServer().extraVolumes()).containsExactly(new HostPathMount("audit", "/var/log/kubernetes/audit",
        "/var/log/kubernetes/audit", false, "DirectoryOrCreate"));
    assertThat(m.criSocket()).isEqualTo("unix:///run/containerd/containerd.sock");
    assertThat(m.kubeletConfiguration()).containsEntry("maxPods", 200);
    assertThat(m.encryptionConfigPath()).isEqualTo(Path.of("/etc/kubernetes/encryption/encryption-config.yaml"));
    assertThat(Endpoints.controlPlaneUrl(m)).isEqualTo("https://cp.example.internal:8443");
    assertThat(Endpoints.localUrl(m)).isEqualTo("https://[fd00:10:0:1::11]:6443");
    assertThat(Endpoints.portWarning(m)).contains("overrides bind_port");
  }

  @Test
  void aV1beta3ConfigurationGivesTheSameModelAsItsV1beta4Conversion() {
    ClusterModel beta3 = ClusterModel.fromRequest(Map.of("kubeadm_config", Fixtures.resource("config/kubeadm/dual-stack-v1beta3.yaml")));
    ClusterModel beta4 = ClusterModel.fromRequest(Map.of("kubeadm_config",
        Fixtures.resource("config/kubeadm/dual-stack-v1beta4-converted.yaml")));
    assertThat(beta3).isEqualTo(beta4);
    assertThat(beta3.apiServer().extraArgs()).extracting(Arg::name).containsExactly("audit-log-maxage", "audit-log-path");
  }

  @Test
  void optionsOverrideTheKubeadmConfiguration() {
    Map<String, Object> body = new HashMap<>(Fixtures.dualStack());
    body.put("cluster_name", "other");
    body.put("service_subnet", "10.100.0.0/16");
    body.put("apiserver_extra_args", Map.of("v", "3"));
    body.put("node_name", null);
    ClusterModel m = ClusterModel.fromRequest(body);
    assertThat(m.clusterName()).isEqualTo("other");
    assertThat(m.serviceSubnet()).isEqualTo("10.100.0.0/16");
    assertThat(m.apiServer().extraArgs()).containsExactly(new Arg("v", "3"));
    assertThat(m.apiServer().extraEnvs()).containsExactly(new EnvVar("GOMAXPROCS", "4"));
    assertThat(m.nodeName()).as("a null option leaves the YAML value").isEqualTo("cp-1");
  }

  @Test
  void kubeadmConfigMayBeAnAbsolutePathToAFile(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("kubeadm.yaml"), Fixtures.resource("config/kubeadm/dual-stack-v1beta4.yaml"));
    ClusterModel fromFile = ClusterModel.fromRequest(Map.of("kubeadm_config", file.toString()));
    ClusterModel fromText = ClusterModel.fromRequest(Map.of("kubeadm_config",
        Fixtures.resource("config/kubeadm/dual-stack-v1beta4.yaml")));
    assertThat(fromFile).isEqualTo(fromText);
  }

  @Test
  void theClusterDnsAddressIsTheTenthAddressOfTheFirstServiceCidrEvenForIpv6() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("service_subnet", "fd00:10:96::/112,10.96.0.0/12");
    assertThat(ClusterModel.fromRequest(body).clusterDnsIp()).isEqualTo("fd00:10:96::a");
  }

  @Test
  void extraArgsGivenAsAListKeepTheirOrderAndRepeats() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("apiserver_extra_args", List.of(Map.of("name", "z", "value", "1"), Map.of("name", "a", "value", "2"),
        Map.of("name", "z", "value", "3")));
    assertThat(ClusterModel.fromRequest(body).apiServer().extraArgs())
        .containsExactly(new Arg("z", "1"), new Arg("a", "2"), new Arg("z", "3"));
  }

  @Test
  void externalEtcdOptionsBuildAnExternalEtcd() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("etcd_external_endpoints", List.of("https://10.0.0.5:2379", "https://[fd00::5]:2379"));
    body.put("etcd_external_ca_file", "/etc/etcd/pki/ca.crt");
    body.put("etcd_external_cert_file", "/etc/etcd/pki/client.crt");
    body.put("etcd_external_key_file", "/etc/etcd/pki/client.key");
    ClusterModel m = ClusterModel.fromRequest(body);
    assertThat(m.etcd().isExternal()).isTrue();
    assertThat(m.etcd().external().endpoints()).hasSize(2);
  }

  @Test
  void thePkiReadsTheModelsDefaults() {
    PkiOptions o = ClusterModel.pkiRequest(Map.of("advertise_address", "10.0.0.1", "node_name", "cp-1"));
    assertThat(o.certDir()).isEqualTo(Path.of(Defaults.CERT_DIR));
    assertThat(o.bindPort()).isEqualTo(Defaults.BIND_PORT);
    assertThat(o.controlPlaneEndpoint()).isEmpty();
    assertThat(o.serviceSubnets()).extracting(Object::toString).containsExactly(Defaults.SERVICE_SUBNET);
    assertThat(o.dnsDomain()).isEqualTo(Defaults.DNS_DOMAIN);
    assertThat(o.apiServerCertSans().isEmpty()).isTrue();
    assertThat(o.localEtcd()).isTrue();
    assertThat(o.keyAlgorithm()).isEqualTo(KeyAlgorithm.DEFAULT);
    assertThat(o.certificateValidity()).isEqualTo(Defaults.CERT_VALIDITY);
    assertThat(o.caCertificateValidity()).isEqualTo(Defaults.CA_VALIDITY);
    assertThat(o.backup()).isTrue();
  }

  @Test
  void nullOptionsMeanDefaultsAsAnsibleSendsThem() {
    Map<String, Object> body = new HashMap<>(Map.of("advertise_address", "10.0.0.1", "node_name", "cp-1"));
    for (String f : List.of("cert_dir", "bind_port", "control_plane_endpoint", "service_subnet", "dns_domain",
        "apiserver_cert_sans", "etcd", "key_algorithm", "certificate_validity", "backup", "dry_run")) {
      body.put(f, null);
    }
    assertThat(ClusterModel.pkiRequest(body))
        .isEqualTo(ClusterModel.pkiRequest(Map.of("advertise_address", "10.0.0.1", "node_name", "cp-1")));
  }

  @Test
  void theDualStackKubeadmConfigGivesThePkiEveryValue() {
    Map<String, Object> body = new HashMap<>(Fixtures.dualStack());
    body.put("backup", false);
    PkiOptions o = ClusterModel.pkiRequest(body);
    ClusterModel m = ClusterModel.fromRequest(Fixtures.dualStack());
    assertThat(o.nodeName()).isEqualTo(m.nodeName());
    assertThat(o.serviceSubnets()).hasSize(2);
    assertThat(o.controlPlaneEndpoint()).isPresent();
    assertThat(o.localEtcd()).isTrue();
    assertThat(o.backup()).isFalse();
  }

  @Test
  void aControlPlaneEndpointWithoutAPortTakesTheBindPort() {
    PkiOptions o = ClusterModel.pkiRequest(Map.of("advertise_address", "fd00::10", "node_name", "cp-1",
        "bind_port", 7443, "control_plane_endpoint", "lb.example.com", "etcd", "external",
        "etcd_external_endpoints", List.of("https://[fd00::20]:2379")));
    assertThat(o.controlPlaneEndpoint()).contains(new PkiOptions.Endpoint("lb.example.com", 7443));
    assertThat(o.localEtcd()).isFalse();
  }

  @Test
  void anInvalidNodeNameFromTheConfigurationGetsNoHostNameHint() {
    assertThatThrownBy(() -> ClusterModel.fromRequest(Map.of("kubeadm_config",
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  name: My_Host\n")))
        .hasMessageContaining("not a lower-case RFC 1123 name").hasMessageNotContaining("set node_name");
  }

  @Test
  void absentTaintsMeanTheControlPlaneTaintAndAnEmptyListMeansNone() {
    String init = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n"
        + "  advertiseAddress: 10.0.0.1\nnodeRegistration:\n  name: cp-1\n";
    assertThat(ClusterModel.fromRequest(Map.of("kubeadm_config", init)).controlPlaneTaints())
        .containsExactly(NodeTaint.CONTROL_PLANE);
    assertThat(ClusterModel.fromRequest(Map.of("kubeadm_config", init + "  taints: null\n")).controlPlaneTaints())
        .containsExactly(NodeTaint.CONTROL_PLANE);
    assertThat(ClusterModel.fromRequest(Map.of("kubeadm_config", init + "  taints: []\n")).controlPlaneTaints())
        .isEmpty();
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config", init
        + "  taints:\n  - key: dedicated\n    value: infra\n    effect: NoExecute\n  - key: b\n    effect: PreferNoSchedule\n"));
    assertThat(m.controlPlaneTaints()).extracting(NodeTaint::toString)
        .containsExactly("dedicated=infra:NoExecute", "b:PreferNoSchedule");
  }

  @Test
  void dnsProxyAndSkipPhasesAreReadFromTheKubeadmConfig() {
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config",
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nskipPhases: [preflight, addon/kube-proxy]\n"
            + "localAPIEndpoint:\n  advertiseAddress: 10.0.0.1\nnodeRegistration:\n  name: cp-1\n---\n"
            + "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
            + "dns:\n  disabled: true\n  imageRepository: mirror.example/dns\n  imageTag: v1.11.3\nproxy:\n  disabled: true\n"));
    assertThat(m.dns()).isEqualTo(new DnsAddon(true, "mirror.example/dns", "v1.11.3"));
    assertThat(m.proxyDisabled()).isTrue();
    assertThat(m.skipPhases()).containsExactly("preflight", "addon/kube-proxy");
    ClusterModel plain = ClusterModel.fromRequest(Map.of("advertise_address", "10.0.0.1", "node_name", "cp-1"));
    assertThat(plain.dns()).isEqualTo(DnsAddon.DEFAULT);
    assertThat(plain.proxyDisabled()).isFalse();
    assertThat(plain.skipPhases()).isEmpty();
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        bad("an unknown field in ClusterConfiguration is refused with its path",
            yaml("ClusterConfiguration", "networking:\n  serviceSubnet: 10.96.0.0/12\n  podCidr: 10.244.0.0/16\n"),
            "request.unknown_field", "ClusterConfiguration.networking.podCidr"),
        bad("an unknown field of a KubeProxyConfiguration is refused with its path, as kubeadm's strict decoding",
            kubeProxy("bogusField: 1\n"), "request.unknown_field", "kubeadm_config[0].bogusField"),
        bad("an unknown nested field of a KubeProxyConfiguration is refused with its path",
            kubeProxy("mode: ipvs\nconntrack:\n  maxPerCore: 0\n  nope: x\n"),
            "request.unknown_field", "kubeadm_config[0].conntrack.nope"),
        bad("KubeProxyConfiguration field names match exactly, case included",
            kubeProxy("Mode: ipvs\n"), "request.unknown_field", "kubeadm_config[0].Mode"),
        bad("an unknown field in a list of KubeProxyConfiguration objects is refused with its index",
            kubeProxy("logging:\n  vmodule:\n  - filePattern: proxier*\n    verbosity: 4\n    level: 2\n"),
            "request.unknown_field", "kubeadm_config[0].logging.vmodule[0].level"),
        bad("an unknown top-level field in InitConfiguration is refused",
            yaml("InitConfiguration", "bogus: 1\n"), "request.unknown_field", "InitConfiguration.bogus"),
        bad("extraEnvs does not exist in v1beta3",
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  extraEnvs: []\n",
            "request.unknown_field", "ClusterConfiguration.apiServer.extraEnvs"),
        bad("a malformed service CIDR is refused",
            yaml("ClusterConfiguration", "networking:\n  serviceSubnet: 10.96.0.0/33\n"),
            "config.invalid_cidr", "ClusterConfiguration.networking.serviceSubnet"),
        bad("two IPv4 service CIDRs are not dual-stack",
            yaml("ClusterConfiguration", "networking:\n  serviceSubnet: 10.96.0.0/12,10.97.0.0/16\n"),
            "config.invalid_cidr", "ClusterConfiguration.networking.serviceSubnet"),
        bad("a malformed pod CIDR option is refused", Map.of("advertise_address", "10.0.0.1", "pod_subnet", "10.244.0/16"),
            "config.invalid_cidr", "pod_subnet"),
        bad("a host name as advertise address is refused",
            yaml("InitConfiguration", "localAPIEndpoint:\n  advertiseAddress: cp.example.internal\n"),
            "config.invalid_address", "InitConfiguration.localAPIEndpoint.advertiseAddress"),
        bad("an IPv4 address with a leading zero is refused", Map.of("advertise_address", "10.0.0.01"),
            "config.invalid_address", "advertise_address"),
        bad("a port outside 1-65535 is refused",
            yaml("InitConfiguration", "localAPIEndpoint:\n  advertiseAddress: 10.0.0.1\n  bindPort: 70000\n"),
            "config.invalid_address", "InitConfiguration.localAPIEndpoint.bindPort"),
        bad("a control-plane endpoint with a bad port is refused",
            Map.of("advertise_address", "10.0.0.1", "control_plane_endpoint", "lb:0"),
            "config.invalid_address", "control_plane_endpoint"),
        bad("a duration without a unit is refused",
            yaml("ClusterConfiguration", "certificateValidityPeriod: \"8760\"\n"),
            "config.invalid_duration", "ClusterConfiguration.certificateValidityPeriod"),
        bad("a negative duration option is refused", Map.of("advertise_address", "10.0.0.1", "certificate_validity", "-1h"),
            "config.invalid_duration", "certificate_validity"),
        bad("a bad v1beta3 timeoutForControlPlane is refused",
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  timeoutForControlPlane: soon\n",
            "config.invalid_duration", "ClusterConfiguration.apiServer.timeoutForControlPlane"),
        bad("an unsupported apiVersion is refused", "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n",
            "config.unsupported_kind", "kubeadm_config[0].apiVersion"),
        bad("a custom YAML tag is refused, not instantiated",
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: !!java.net.URL [\"http://x\"]\n",
            "config.invalid_yaml", "kubeadm_config"),
        bad("a billion-laughs alias bomb is refused",
            "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                + "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
            "config.invalid_yaml", "kubeadm_config"),
        bad("a duplicate key is refused", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nclusterName: a\nclusterName: b\n",
            "config.invalid_yaml", "kubeadm_config"),
        bad("a number where kubeadm wants a string is refused",
            yaml("ClusterConfiguration", "kubernetesVersion: 1.34\n"), "request.wrong_type", "ClusterConfiguration.kubernetesVersion"),
        bad("a version label needing the network is refused", Map.of("advertise_address", "10.0.0.1", "kubernetes_version", "stable-1"),
            "config.invalid_value", "kubernetes_version"),
        bad("an unknown key algorithm is refused",
            yaml("ClusterConfiguration", "encryptionAlgorithm: RSA-1024\n"), "config.invalid_value", "ClusterConfiguration.encryptionAlgorithm"),
        bad("a relative certificates directory is refused", Map.of("advertise_address", "10.0.0.1", "cert_dir", "pki"),
            "config.invalid_path", "cert_dir"),
        bad("a path with .. is refused", Map.of("advertise_address", "10.0.0.1", "manifest_dir", "/etc/kubernetes/../manifests"),
            "config.invalid_path", "manifest_dir"),
        bad("an extra volume with a relative host path is refused",
            Map.of("advertise_address", "10.0.0.1", "apiserver_extra_volumes", List.of(Map.of("name", "x", "host_path", "x", "mount_path", "/x"))),
            "config.invalid_path", "apiserver_extra_volumes[0].hostPath"),
        bad("an extra arg given with leading dashes is refused",
            Map.of("advertise_address", "10.0.0.1", "scheduler_extra_args", Map.of("--v", "2")),
            "config.invalid_value", "scheduler_extra_args[0]"),
        bad("an unknown option is refused", Map.of("advertise_address", "10.0.0.1", "service_cidr", "10.0.0.0/16"),
            "request.unknown_field", "service_cidr"),
        bad("external etcd without endpoints is refused", Map.of("advertise_address", "10.0.0.1", "etcd", "external"),
            "request.missing_field", "etcd_external_endpoints"),
        bad("local and external etcd together are refused",
            yaml("ClusterConfiguration", "etcd:\n  local: {}\n  external:\n    endpoints: [https://e:2379]\n    caFile: ''\n    certFile: ''\n    keyFile: ''\n"),
            "config.invalid_value", "ClusterConfiguration.etcd"),
        bad("an upper-case node name is refused", Map.of("advertise_address", "10.0.0.1", "node_name", "CP-1"),
            "config.invalid_value", "node_name"),
        bad("a missing advertise address is refused", Map.of("node_name", "cp-1"), "request.missing_field",
            "advertise_address"),
        bad("an unspecified advertise address is refused", opt("advertise_address", "0.0.0.0"),
            "config.invalid_address", "advertise_address"),
        bad("an IPv6 advertise address with a zone is refused", opt("advertise_address", "fe80::1%eth0"),
            "config.invalid_address", "advertise_address"),
        bad("three service CIDRs are refused", opt("service_subnet", "10.96.0.0/12,fd00::/108,10.1.0.0/16"),
            "config.invalid_cidr", "service_subnet"),
        bad("days are not a Go duration unit", opt("certificate_validity", "365d"), "config.invalid_duration",
            "certificate_validity"),
        bad("a validity over 100 years is refused", opt("ca_certificate_validity", "876001h"),
            "config.invalid_duration", "ca_certificate_validity"),
        bad("an invalid apiserver SAN is refused naming the item", opt("apiserver_cert_sans", List.of("ok.example", "x!")),
            "config.invalid_san", "apiserver_cert_sans[1]"),
        bad("an upper-case etcd peer SAN is refused", opt("etcd_peer_cert_sans", List.of("Peer.Example")),
            "config.invalid_san", "etcd_peer_cert_sans[0]"),
        bad("an invalid SAN in kubeadm_config is refused with its path",
            yaml("ClusterConfiguration", "apiServer:\n  certSANs: [a.example, 'b c']\n"),
            "config.invalid_san", "ClusterConfiguration.apiServer.certSANs[1]"),
        bad("a SAN that is not a string is refused", opt("etcd_server_cert_sans", List.of(5)), "request.wrong_type",
            "etcd_server_cert_sans[0]"),
        bad("a bind port given as a string is refused", opt("bind_port", "6443"), "request.wrong_type", "bind_port"),
        bad("an endpoint host with an underscore is refused", opt("control_plane_endpoint", "lb_1.example.com"),
            "config.invalid_address", "control_plane_endpoint"),
        bad("a key algorithm in lower case is refused", opt("key_algorithm", "ecdsa-p256"), "config.invalid_value",
            "key_algorithm"),
        bad("an etcd mode that is neither local nor external is refused", opt("etcd", "stacked"),
            "config.invalid_value", "etcd"),
        bad("a DNS domain with a trailing dot is refused", opt("dns_domain", "cluster.local."), "config.invalid_value",
            "dns_domain"),
        bad("backup given as a string is refused", opt("backup", "yes"), "request.wrong_type", "backup"),
        bad("a kubelet config path of / names no file", opt("kubelet_config_path", "/"), "config.invalid_path",
            "kubelet_config_path"),
        bad("an encryption config path of / names no file", opt("encryption_config_path", "/"), "config.invalid_path",
            "encryption_config_path"),
        bad("a kubelet config path below a file cannot be created", opt("kubelet_config_path", "/dev/null/kubelet/config.yaml"),
            "config.invalid_path", "kubelet_config_path"),
        bad("a certificates directory below a file cannot be created", opt("cert_dir", "/dev/null/pki"),
            "config.invalid_path", "cert_dir"),
        bad("a relative kubelet config path is refused", opt("kubelet_config_path", "var/lib/kubelet/config.yaml"),
            "config.invalid_path", "kubelet_config_path"),
        bad("a NUL byte in the certificates directory is refused", opt("cert_dir", "/etc/kubernetes/pki\0x"),
            "config.invalid_path", "cert_dir"),
        bad("a .. in the encryption config path is refused", opt("encryption_config_path", "/etc/kubernetes/../enc.yaml"),
            "config.invalid_path", "encryption_config_path"),
        bad("a path longer than PATH_MAX is refused", opt("kubeconfig_dir", "/" + "d/".repeat(2048)),
            "config.invalid_path", "kubeconfig_dir"),
        bad("a directory leaving no room below PATH_MAX for its files is refused",
            opt("manifest_dir", "/" + "d/".repeat(1950)), "config.invalid_path", "manifest_dir"),
        bad("a path component longer than NAME_MAX is refused", opt("cert_dir", "/tmp/" + "n".repeat(256) + "/pki"),
            "config.invalid_path", "cert_dir"),
        bad("a taint without an effect is refused with its YAML path",
            yaml("InitConfiguration", "localAPIEndpoint:\n  advertiseAddress: 10.0.0.1\nnodeRegistration:\n"
                + "  name: cp-1\n  taints:\n  - key: a\n"),
            "config.invalid_value", "InitConfiguration.nodeRegistration.taints[0].effect"),
        bad("a taint with an effect Kubernetes does not know is refused",
            yaml("InitConfiguration", "nodeRegistration:\n  taints:\n  - key: a\n    effect: Sometimes\n"),
            "config.invalid_value", "InitConfiguration.nodeRegistration.taints[0].effect"),
        bad("a taint without a key is refused",
            yaml("InitConfiguration", "nodeRegistration:\n  taints:\n  - effect: NoSchedule\n"),
            "request.missing_field", "InitConfiguration.nodeRegistration.taints[0].key"),
        bad("an unknown field of a taint is refused",
            yaml("InitConfiguration", "nodeRegistration:\n  taints:\n  - key: a\n    effect: NoSchedule\n    operator: Exists\n"),
            "request.unknown_field", "InitConfiguration.nodeRegistration.taints[0].operator"),
        bad("taints given as a mapping are refused",
            yaml("InitConfiguration", "nodeRegistration:\n  taints:\n    key: a\n"),
            "request.wrong_type", "InitConfiguration.nodeRegistration.taints"),
        bad("dns.disabled given as a string is refused",
            yaml("ClusterConfiguration", "dns:\n  disabled: \"yes\"\n"), "request.wrong_type",
            "ClusterConfiguration.dns.disabled"),
        bad("proxy.disabled given as a number is refused",
            yaml("ClusterConfiguration", "proxy:\n  disabled: 1\n"), "request.wrong_type",
            "ClusterConfiguration.proxy.disabled"),
        bad("an unknown field of proxy is refused",
            yaml("ClusterConfiguration", "proxy:\n  mode: ipvs\n"), "request.unknown_field",
            "ClusterConfiguration.proxy.mode"),
        bad("dns.disabled does not exist in v1beta3",
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\ndns:\n  disabled: true\n",
            "request.unknown_field", "ClusterConfiguration.dns.disabled"),
        bad("a malformed dns.imageTag is refused",
            yaml("ClusterConfiguration", "dns:\n  imageTag: \"v1 .12\"\n"), "config.invalid_value",
            "ClusterConfiguration.dns.imageTag"),
        bad("a malformed dns.imageRepository is refused",
            yaml("ClusterConfiguration", "dns:\n  imageRepository: \"mirror example\"\n"), "config.invalid_value",
            "ClusterConfiguration.dns.imageRepository"),
        bad("skipPhases given as a string is refused",
            yaml("InitConfiguration", "skipPhases: addon/kube-proxy\n"), "request.wrong_type",
            "InitConfiguration.skipPhases"),
        bad("an over-long certificates directory in kubeadm_config is refused with its path",
            yaml("ClusterConfiguration", "certificatesDir: /" + "n".repeat(300) + "\n"),
            "config.invalid_path", "ClusterConfiguration.certificatesDir"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void badInputIsRefusedNamingTheField(String name, Map<String, Object> body, String code, String field) {
    assertThatThrownBy(() -> ClusterModel.pkiRequest(body)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.getMessage()).startsWith(field + ": ");
    });
  }

  /** A request with an advertise address and one more option. */
  private static Map<String, Object> opt(String key, Object value) {
    Map<String, Object> body = new HashMap<>(Map.of("advertise_address", "10.0.0.1", "node_name", "cp-1"));
    body.put(key, value);
    return body;
  }

  private static Arguments bad(String name, Object input, String code, String field) {
    @SuppressWarnings("unchecked")
    Map<String, Object> body = input instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of("kubeadm_config", input);
    return Arguments.of(name, body, code, field);
  }

  private static String kubeProxy(String body) {
    return "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n" + body;
  }

  @Test
  void theKubeProxyConfigurationKubeadmPrintsWithEveryFieldIsAccepted() {
    // printed by the real kubeadm v1.34.10: kubeadm config print init-defaults --component-configs KubeProxyConfiguration
    String doc = Fixtures.resource("config/kubeadm/kube-proxy-printed-v1.34.10.yaml");
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config", doc, "advertise_address", "10.0.0.1"));
    assertThat(m.kubeProxyConfiguration()).containsKeys("conntrack", "iptables", "ipvs", "nftables", "winkernel",
        "logging", "clientConnection", "detectLocal");
  }

  private static String yaml(String kind, String body) {
    return "apiVersion: kubeadm.k8s.io/v1beta4\nkind: " + kind + "\n" + body;
  }
}
