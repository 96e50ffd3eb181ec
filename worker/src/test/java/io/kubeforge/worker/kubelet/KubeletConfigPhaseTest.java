package io.kubeforge.worker.kubelet;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Golden;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.PhaseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KubeletConfigPhaseTest {
  private static final HostProbe RESOLVED = HostProbe.fixed(KubeletConfigRenderer.SYSTEMD_RESOLV_CONF::equals, Map.of());

  @ParameterizedTest(name = "the {0} cluster's KubeletConfiguration matches its golden file")
  @ValueSource(strings = {"single-stack", "dual-stack"})
  void rendersTheGoldenKubeletConfiguration(String cluster) {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.cluster(cluster));
    Golden.assertMatches(cluster + "/kubelet-config.yaml", KubeletConfigRenderer.render(m, RESOLVED, new ArrayList<>()));
  }

  @ParameterizedTest(name = "the {0} cluster's kubeadm-flags.env and instance-config.yaml match their golden files")
  @ValueSource(strings = {"single-stack", "dual-stack"})
  void rendersTheGoldenFlagsAndInstanceFiles(String cluster) {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.cluster(cluster));
    Map<String, String> files = new KubeletConfigPhase(RESOLVED, Fixtures.CLOCK).render(m, new ArrayList<>());
    assertThat(files.keySet()).containsExactly("config.yaml", "instance-config.yaml", "kubeadm-flags.env");
    Golden.assertMatches(cluster + "/kubeadm-flags.env", files.get("kubeadm-flags.env"));
    Golden.assertMatches(cluster + "/instance-config.yaml", files.get("instance-config.yaml"));
  }

  @Test
  void theFlagsFileNamesTheNodeOnlyWhenItDiffersFromTheHostAndAppendsKubeletExtraArgs() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("kubelet_extra_args", List.of(Map.of("name", "node-ip", "value", "192.168.10.11")));
    ClusterModel m = ClusterModel.fromRequest(body);
    assertThat(KubeletFlags.envFile(m, HostProbe.fixed(p -> false, Map.of(), "cp-1"))).isEqualTo(
        "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.10.1 --node-ip=192.168.10.11\"\n");
  }

  @Test
  void withNodeLocalCriSocketOffTheSocketIsAFlagAndThereIsNoInstanceFile() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("kubeadm_config", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
        + "featureGates:\n  NodeLocalCRISocket: false\n");
    ClusterModel m = ClusterModel.fromRequest(body);
    Map<String, String> files = new KubeletConfigPhase(Fixtures.BARE_HOST, Fixtures.CLOCK).render(m, new ArrayList<>());
    assertThat(files).doesNotContainKey("instance-config.yaml");
    assertThat(files.get("kubeadm-flags.env")).contains("--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock");
    assertThat(files.get("config.yaml")).contains("containerRuntimeEndpoint: \"\"");
  }

  @Test
  void clusterDnsIsTheTenthServiceAddressAndTheUsersFieldsSurvive() {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.dualStack());
    Map<String, Object> tree = KubeletConfigRenderer.tree(m, Fixtures.BARE_HOST, new ArrayList<>());
    assertThat(tree.get("clusterDNS")).isEqualTo(List.of("10.96.0.10"));
    assertThat(tree.get("maxPods")).isEqualTo(200);
    assertThat(tree.get("containerRuntimeEndpoint")).isEqualTo("unix:///run/containerd/containerd.sock");
    assertThat(tree).doesNotContainKey("resolvConf");
  }

  @Test
  void anIpv6FirstServiceSubnetGivesAnIpv6ClusterDns() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("service_subnet", "fd00:10:96::/112");
    ClusterModel m = ClusterModel.fromRequest(body);
    assertThat(KubeletConfigRenderer.tree(m, Fixtures.BARE_HOST, new ArrayList<>()).get("clusterDNS"))
        .isEqualTo(List.of("fd00:10:96::a"));
  }

  @Test
  void userValuesThatDifferFromKubeadmsDefaultsAreKeptWithAWarning() {
    Map<String, Object> body = Fixtures.singleStack();
    body.put("kubeadm_config", """
        apiVersion: kubelet.config.k8s.io/v1beta1
        kind: KubeletConfiguration
        cgroupDriver: cgroupfs
        authentication:
          anonymous:
            enabled: true
        rotateCertificates: false
        """);
    List<String> warnings = new ArrayList<>();
    Map<String, Object> tree = KubeletConfigRenderer.tree(ClusterModel.fromRequest(body), Fixtures.BARE_HOST, warnings);
    assertThat(tree.get("cgroupDriver")).isEqualTo("cgroupfs");
    assertThat(tree.get("rotateCertificates")).as("kubeadm forces it").isEqualTo(true);
    assertThat(warnings).anyMatch(w -> w.contains("enabled is true"));
  }

  @Test
  void writesOnceThenKeepsAndUpdatesWithABackupWhenTheModelChanges(@TempDir Path root) throws Exception {
    KubeletConfigPhase phase = new KubeletConfigPhase(Fixtures.BARE_HOST, Fixtures.CLOCK);
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    assertThat(phase.run(body, false).changed()).isTrue();
    Path file = root.resolve("kubelet/config.yaml");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
    assertThat(root.resolve("kubelet/kubeadm-flags.env")).exists();
    assertThat(root.resolve("kubelet/instance-config.yaml")).exists();
    assertThat(SafeYaml.load(Files.readString(file), "x")).isInstanceOf(Map.class);
    assertThat(phase.run(body, false).changed()).isFalse();
    body.put("dns_domain", "corp.local");
    PhaseResult r = phase.run(body, false);
    assertThat(r.result().get("action")).isEqualTo("updated");
    assertThat(r.result().get("backups").toString()).contains("config.yaml.20261123T120000Z.bak");
    assertThat(Files.readString(file)).contains("clusterDomain: corp.local");
  }

  @Test
  void theCapabilityEntryPointTakesDryRunFromTheEnvelope(@TempDir Path root) {
    KubeletConfigPhase phase = new KubeletConfigPhase(Fixtures.BARE_HOST, Fixtures.CLOCK);
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    assertThat(phase.run(body, true).changed()).isTrue();
    assertThat(root.resolve("kubelet/config.yaml")).doesNotExist();
    assertThat(phase.run(body, false).changed()).isTrue();
    assertThat(phase.run(body, false).changed()).isFalse();
  }

  @Test
  void dryRunWritesNothing(@TempDir Path root) {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    assertThat(new KubeletConfigPhase(Fixtures.BARE_HOST, Fixtures.CLOCK).run(body, true).changed()).isTrue();
    assertThat(root.resolve("kubelet/config.yaml")).doesNotExist();
  }
}
