package io.kubeforge.worker.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.PodSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ComponentCatalogTest {
  private static ClusterModel model(Map<String, Object> extra) {
    Map<String, Object> body = Fixtures.singleStack();
    body.putAll(extra);
    return ClusterModel.fromRequest(body);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> container(Map<String, Object> pod) {
    return (Map<String, Object>) ((List<Object>) ((Map<String, Object>) pod.get("spec")).get("containers")).get(0);
  }

  @SuppressWarnings("unchecked")
  private static List<String> volumeNames(Map<String, Object> pod) {
    return ((List<Map<String, Object>>) ((Map<String, Object>) pod.get("spec")).get("volumes")).stream()
        .map(v -> (String) v.get("name")).toList();
  }

  @SuppressWarnings("unchecked")
  private static List<String> command(Map<String, Object> pod) {
    return (List<String>) container(pod).get("command");
  }

  @Test
  void externalEtcdSetsTheServerAndFileFlagsAndMountsTheirDirectoriesOnce() {
    ClusterModel m = model(Map.of("etcd_external_endpoints", List.of("https://10.0.0.5:2379", "https://10.0.0.6:2379"),
        "etcd_external_ca_file", "/etc/etcd/ca.crt", "etcd_external_cert_file", "/etc/etcd/pki/client.crt",
        "etcd_external_key_file", "/etc/kubernetes/pki/etcd-client.key"));
    Map<String, Map<String, Object>> pods = ComponentCatalog.render(m, Fixtures.BARE_HOST, new ArrayList<>());
    assertThat(pods).doesNotContainKey("etcd");
    Map<String, Object> api = pods.get("kube-apiserver");
    assertThat(command(api)).contains("--etcd-servers=https://10.0.0.5:2379,https://10.0.0.6:2379",
        "--etcd-cafile=/etc/etcd/ca.crt", "--etcd-certfile=/etc/etcd/pki/client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/etcd-client.key");
    // /etc/etcd/pki collapses into /etc/etcd; the key under the certificates dir needs no volume
    assertThat(volumeNames(api)).containsExactly("ca-certs", "etcd-certs-0", "k8s-certs");
    assertThat(PodSchema.violations(api)).isEmpty();
  }

  @Test
  void aLocalEtcdsAdvertiseClientUrlsExtraArgBecomesTheApiServersEtcdServers() {
    ClusterModel m = model(Map.of("etcd_extra_args", Map.of("advertise-client-urls", "https://10.0.0.9:2379")));
    assertThat(ComponentCatalog.apiServerCommand(m, new ArrayList<>()))
        .contains("--etcd-servers=https://10.0.0.9:2379", "--etcd-cafile=" + m.certDir().resolve("etcd/ca.crt"))
        .filteredOn(f -> f.startsWith("--etcd-servers=")).hasSize(1);
    assertThat(ComponentCatalog.apiServerCommand(model(Map.of()), new ArrayList<>()))
        .contains("--etcd-servers=https://127.0.0.1:2379");
  }

  @Test
  void anEncryptionConfigurationIsNamedToTheApiServer() {
    ClusterModel m = model(Map.of("encryption_config_path", "/etc/kubernetes/enc/encryption-config.yaml"));
    assertThat(ComponentCatalog.apiServerCommand(m, new ArrayList<>()))
        .contains("--encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml");
    assertThat(ComponentCatalog.apiServerCommand(model(Map.of()), new ArrayList<>()))
        .noneMatch(f -> f.startsWith("--encryption-provider-config"));
  }

  @Test
  void anAuthorizationConfigDropsTheAuthorizationModeFlag() {
    ClusterModel m = model(Map.of("apiserver_extra_args", Map.of("authorization-config", "/etc/kubernetes/authz.yaml")));
    assertThat(ComponentCatalog.apiServerCommand(m, new ArrayList<>())).noneMatch(f -> f.startsWith("--authorization-mode"));
  }

  @Test
  void unknownAuthorizationModesAreDroppedWithAWarning() {
    List<String> warnings = new ArrayList<>();
    assertThat(ComponentCatalog.authzModes("Node,Bogus,RBAC,Webhook", warnings)).isEqualTo("Node,RBAC,Webhook");
    assertThat(warnings).hasSize(2).anyMatch(w -> w.contains("Bogus"));
    assertThat(ComponentCatalog.authzModes("Bogus", new ArrayList<>())).isEqualTo("Node,RBAC");
  }

  @Test
  void optionalCaDirectoriesAreMountedOnlyWhenTheHostHasThem() {
    HostProbe host = HostProbe.fixed(Set.of("/etc/pki/ca-trust", "/usr/share/ca-certificates")::contains, Map.of());
    Map<String, Map<String, Object>> pods = ComponentCatalog.render(model(Map.of()), host, new ArrayList<>());
    assertThat(volumeNames(pods.get("kube-apiserver"))).containsExactly("ca-certs", "etc-pki-ca-trust", "k8s-certs",
        "usr-share-ca-certificates");
    assertThat(volumeNames(pods.get("kube-controller-manager"))).contains("etc-pki-ca-trust", "usr-share-ca-certificates");
    assertThat(volumeNames(pods.get("kube-scheduler"))).containsExactly("kubeconfig");
  }

  @Test
  void withAnExternalCaTheControllerManagerGetsEmptySigningFiles() {
    HostProbe host = HostProbe.fixed("/etc/kubernetes/pki/ca.crt"::equals, Map.of());
    assertThat(ComponentCatalog.controllerManagerCommand(model(Map.of()), host))
        .contains("--cluster-signing-cert-file=", "--cluster-signing-key-file=");
  }

  @Test
  void aPodSubnetTurnsOnNodeCidrAllocation() {
    assertThat(ComponentCatalog.controllerManagerCommand(model(Map.of("pod_subnet", "10.244.0.0/16")), Fixtures.BARE_HOST))
        .contains("--allocate-node-cidrs=true", "--cluster-cidr=10.244.0.0/16", "--service-cluster-ip-range=10.96.0.0/12");
  }

  @Test
  void aBindAddressOnAllInterfacesLeavesTheProbeHostEmpty() {
    Map<String, Map<String, Object>> pods = ComponentCatalog.render(
        model(Map.of("scheduler_extra_args", Map.of("bind-address", "0.0.0.0"))), Fixtures.BARE_HOST, new ArrayList<>());
    @SuppressWarnings("unchecked")
    Map<String, Object> get = (Map<String, Object>) ((Map<String, Object>) container(pods.get("kube-scheduler"))
        .get("livenessProbe")).get("httpGet");
    assertThat(get).doesNotContainKey("host");
  }

  @Test
  void anExtraVolumeReplacesTheDefaultOfTheSameName() {
    ClusterModel m = model(Map.of("controller_manager_extra_volumes", List.of(Map.of("name", "flexvolume-dir",
        "host_path", "/opt/flex", "mount_path", "/opt/flex", "read_only", true, "path_type", "Directory"))));
    String yaml = io.kubeforge.worker.config.KubeYaml.render(
        ComponentCatalog.render(m, Fixtures.BARE_HOST, new ArrayList<>()).get("kube-controller-manager"));
    assertThat(yaml).contains("path: /opt/flex").doesNotContain("/usr/libexec/kubernetes");
  }

  @Test
  void anEncryptionConfigUnderTheCertificatesDirectoryNeedsNoExtraVolume() {
    ClusterModel m = model(Map.of("encryption_config_path", "/etc/kubernetes/pki/encryption.yaml"));
    Map<String, Object> api = ComponentCatalog.render(m, Fixtures.BARE_HOST, new ArrayList<>()).get("kube-apiserver");
    assertThat(command(api)).contains("--encryption-provider-config=/etc/kubernetes/pki/encryption.yaml");
    assertThat(volumeNames(api)).containsExactly("ca-certs", "k8s-certs");
  }

  @Test
  void aUserGivenEncryptionProviderConfigWinsOverTheModelsPath() {
    ClusterModel m = model(Map.of("encryption_config_path", "/etc/kubernetes/enc/a.yaml",
        "apiserver_extra_args", Map.of("encryption-provider-config", "/etc/kubernetes/enc/b.yaml")));
    assertThat(ComponentCatalog.apiServerCommand(m, new ArrayList<>()))
        .filteredOn(f -> f.startsWith("--encryption-provider-config")).containsExactly("--encryption-provider-config=/etc/kubernetes/enc/b.yaml");
  }

  @Test
  void aJoiningControlPlaneGetsNoEtcdManifest() {
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config", """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: JoinConfiguration
        discovery:
          file:
            kubeConfigPath: /etc/kubernetes/discovery.conf
        controlPlane:
          localAPIEndpoint:
            advertiseAddress: 10.0.0.2
        nodeRegistration:
          name: cp-2
        """));
    assertThat(ComponentCatalog.forModel(m)).extracting(ComponentCatalog.ComponentSpec::name)
        .containsExactly("kube-apiserver", "kube-controller-manager", "kube-scheduler");
  }

  @Test
  void aJoiningEtcdMemberListsTheMembersInInitialClusterWithTheExistingState() {
    ClusterModel m = model(Map.of());
    Map<String, Map<String, Object>> pods = ComponentCatalog.render(m, Fixtures.BARE_HOST, new ArrayList<>(),
        "cp-0=https://10.0.0.1:2380,cp-1=https://192.168.10.11:2380");
    assertThat(pods).containsOnlyKeys("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");
    assertThat(ComponentCatalog.etcdCommand(m, "cp-0=https://10.0.0.1:2380,cp-1=https://192.168.10.11:2380"))
        .filteredOn(f -> f.startsWith("--initial-cluster"))
        .containsExactly("--initial-cluster=cp-0=https://10.0.0.1:2380,cp-1=https://192.168.10.11:2380",
            "--initial-cluster-state=existing");
  }

  @Test
  void anInitialisingEtcdMemberIsAloneInInitialClusterWithoutAState() {
    assertThat(ComponentCatalog.etcdCommand(model(Map.of()))).filteredOn(f -> f.startsWith("--initial-cluster"))
        .containsExactly("--initial-cluster=cp-1=https://192.168.10.11:2380");
  }

  @Test
  void etcdBefore36UsesTheExperimentalFlags() {
    ClusterModel m = model(Map.of("kubernetes_version", "v1.33.5"));
    assertThat(Images.etcd(m)).isEqualTo("registry.k8s.io/etcd:3.5.24-0");
    assertThat(ComponentCatalog.etcdCommand(m)).contains("--experimental-initial-corrupt-check=true",
        "--experimental-watch-progress-notify-interval=5s").noneMatch(f -> f.startsWith("--feature-gates"));
  }

  @Test
  void aMinorOutsideTheEtcdTableTakesTheNearestVersionWithAWarning() {
    ClusterModel m = model(Map.of("kubernetes_version", "v1.36.0"));
    assertThat(Images.etcdTag(m)).isEqualTo("3.6.5-0");
    assertThat(Images.etcdWarning(m)).contains("nearest");
  }

  @Test
  void proxyVariablesOfTheWorkerAreCopiedIntoControlPlaneContainersButNotEtcd() {
    HostProbe host = HostProbe.fixed(p -> false, Map.of("HTTPS_PROXY", "http://proxy:3128", "no_proxy", "", "PATH", "/bin"));
    Map<String, Map<String, Object>> pods = ComponentCatalog.render(model(Map.of()), host, new ArrayList<>());
    assertThat(container(pods.get("kube-apiserver")).get("env")).isEqualTo(List.of(Map.of("name", "HTTPS_PROXY",
        "value", "http://proxy:3128")));
    assertThat(container(pods.get("etcd"))).doesNotContainKey("env");
  }
}
