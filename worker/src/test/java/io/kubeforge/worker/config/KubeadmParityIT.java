package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubeforge.worker.kubeconfig.KubeconfigPhase;
import io.kubeforge.worker.kubelet.KubeletConfigPhase;
import io.kubeforge.worker.manifests.ManifestsPhase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * KubeadmParityIT runs the real kubeadm v1.34.10 (built by {@code conformance/build.sh} into
 * {@code .cache/kube/v1.34.10/bin}, or {@code $KUBEADM_BIN}) with {@code --rootfs} on a scratch
 * root, then compares its files with ours: static Pod manifests and the KubeletConfiguration
 * byte for byte, kubeconfigs byte for byte once the per-run client certificate and key are
 * masked. Skipped when the binary is missing or the tests do not run as root (chroot needs it).
 */
class KubeadmParityIT {
  private static final String SINGLE = """
      apiVersion: kubeadm.k8s.io/v1beta4
      kind: InitConfiguration
      localAPIEndpoint:
        advertiseAddress: 192.168.10.11
      nodeRegistration:
        name: cp-1
        criSocket: unix:///var/run/containerd/containerd.sock
      ---
      apiVersion: kubeadm.k8s.io/v1beta4
      kind: ClusterConfiguration
      kubernetesVersion: v1.34.10
      """;

  private static Path kubeadm() {
    String env = System.getenv("KUBEADM_BIN");
    Path p = env != null ? Path.of(env) : TestControlPlane.BIN.resolve("kubeadm");
    return TestControlPlane.require(Files.isExecutable(p), "kubeadm is not executable at " + p) ? p : null;
  }

  private static void kubeadm(Path bin, Path root, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(bin.toString(), "init", "phase"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--config", "/kubeadm.yaml", "--rootfs", root.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  @ParameterizedTest(name = "kubeadm v1.34.10 and kubeforge write the same files for the {0} cluster")
  @ValueSource(strings = {"single-stack", "dual-stack", "dual-stack-v1beta3", "external-etcd-v1beta4"})
  void filesMatchRealKubeadm(String cluster, @TempDir Path root) throws Exception {
    Path bin = kubeadm();
    assumeTrue(bin != null, "kubeadm binary not built (conformance/build.sh)");
    assumeTrue(TestControlPlane.require("root".equals(System.getProperty("user.name")), "kubeadm --rootfs needs root"),
        "kubeadm --rootfs needs root");
    String yaml = switch (cluster) {
      case "single-stack" -> SINGLE;
      case "dual-stack" -> Fixtures.resource("config/kubeadm/dual-stack-v1beta4.yaml");
      default -> Fixtures.resource("config/kubeadm/" + cluster + ".yaml");
    };
    boolean external = cluster.startsWith("external");
    Files.writeString(root.resolve("kubeadm.yaml"), yaml);
    Path pki = root.resolve(external ? "srv/kubernetes/pki" : "etc/kubernetes/pki");
    Fixtures.installCa(pki, false);
    kubeadm(bin, root, "control-plane", "all");
    if (!external) {
      kubeadm(bin, root, "etcd", "local");
    }
    kubeadm(bin, root, "kubelet-start");
    kubeadm(bin, root, "kubeconfig", "all");

    Map<String, Object> body = new HashMap<>();
    body.put("kubeadm_config", yaml);
    ClusterModel m = ClusterModel.fromRequest(body);
    HostProbe chrooted = HostProbe.fixed(p -> Files.exists(Path.of(root + p)), Map.of(), HostProbe.SYSTEM.hostname());
    Map<String, String> manifests = new ManifestsPhase(chrooted, Clock.systemUTC()).render(m, new ArrayList<>());
    assertThat(manifests).hasSize(external ? 3 : 4);
    for (Map.Entry<String, String> e : manifests.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).isEqualTo(read(root.resolve("etc/kubernetes/manifests").resolve(e.getKey())));
    }
    Map<String, String> kubelet = new KubeletConfigPhase(chrooted, Clock.systemUTC()).render(m, new ArrayList<>());
    assertThat(kubelet).hasSize(3);
    for (Map.Entry<String, String> e : kubelet.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).isEqualTo(read(root.resolve("var/lib/kubelet").resolve(e.getKey())));
    }

    Map<String, Object> ours = new HashMap<>(body);
    ours.put("cert_dir", pki.toString());
    ours.put("kubeconfig_dir", root.resolve("ours").toString());
    new KubeconfigPhase().run(ours, false);
    for (String f : List.of("admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf")) {
      assertThat(masked(read(root.resolve("ours").resolve(f)))).as(f)
          .isEqualTo(masked(read(root.resolve("etc/kubernetes").resolve(f))));
    }
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }

  private static String masked(String kubeconfig) {
    return kubeconfig.replaceAll("(client-(certificate|key)-data: ).*", "$1X");
  }
}
