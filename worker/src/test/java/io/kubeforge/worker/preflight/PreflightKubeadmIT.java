package io.kubeforge.worker.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubeforge.worker.config.TestControlPlane;
import io.kubeforge.worker.support.PhaseResult;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real kubeadm v1.34.10 {@code init phase preflight --ignore-preflight-errors=all} and
 * the worker's init checks on the same host, with the same configuration and the same conditions
 * made on purpose (a leftover manifest, a port taken by a listener used as bind port, a non-empty
 * etcd data folder, no container runtime), and compares them check by check: every check kubeadm
 * prints as failing fails here too, every check failing here is printed by kubeadm, and kubeadm
 * prints nothing the worker does not know (besides the checks it does not run).
 *
 * <p>kubeadm runs as root in a private mount namespace whose {@code /etc} is an overlay (its
 * writes go to a tmpfs) and whose {@code /etc/kubernetes} is this test's folder, so it reads what
 * the worker reads and changes nothing on the host. Run by {@code conformance/run.sh} with the
 * binaries required: there a missing kubeadm or a non-root user fails instead of skipping.
 */
class PreflightKubeadmIT {
  private static final Pattern WARNING = Pattern.compile("^\\s*\\[WARNING ([^\\]]+)\\]: (.*)$");

  @TempDir Path tmp;

  private static Path kubeadm() {
    String env = System.getenv("KUBEADM_BIN");
    Path p = env != null ? Path.of(env) : TestControlPlane.BIN.resolve("kubeadm");
    return TestControlPlane.require(Files.isExecutable(p), "kubeadm is not executable at " + p) ? p : null;
  }

  @Test
  @DisplayName("kubeadm init phase preflight and the worker fail the same checks, with the same names, on the same host")
  void sameChecksFailAsKubeadms() throws Exception {
    Path kubeadm = kubeadm();
    assumeTrue(kubeadm != null, "kubeadm binary not built");
    boolean root = Files.readString(Path.of("/proc/self/status")).lines()
        .anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    assumeTrue(TestControlPlane.require(root && Files.isExecutable(Path.of("/usr/bin/unshare")),
        "kubeadm's preflight comparison needs root and unshare"), "not root");

    Path k8s = Files.createDirectories(tmp.resolve("k8s/manifests")).getParent();
    Files.writeString(k8s.resolve("manifests/etcd.yaml"), "kind: Pod\n");
    Path etcd = Files.createDirectories(tmp.resolve("etcd/member"));
    Path socket = tmp.resolve("no-runtime.sock");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      int port = taken.getLocalPort();
      Path config = tmp.resolve("kubeadm.yaml");
      Files.writeString(config, """
          apiVersion: kubeadm.k8s.io/v1beta4
          kind: InitConfiguration
          localAPIEndpoint:
            advertiseAddress: 10.0.0.5
            bindPort: %d
          nodeRegistration:
            criSocket: unix://%s
          ---
          apiVersion: kubeadm.k8s.io/v1beta4
          kind: ClusterConfiguration
          kubernetesVersion: v1.34.10
          etcd:
            local:
              dataDir: %s
          networking:
            serviceSubnet: 10.96.0.0/12
            podSubnet: 10.244.0.0/16
          """.formatted(port, socket, etcd.getParent()));

      Map<String, String> printed = kubeadmWarnings(kubeadm, config, k8s);

      Map<String, Object> body = new HashMap<>();
      body.put("kubeadm_config", Files.readString(config));
      body.put("manifest_dir", k8s.resolve("manifests").toString());
      body.put("kubeconfig_dir", k8s.toString());
      PhaseResult ours = new PreflightPhase().run(body, false);

      String prefix = k8s.toString().replace('/', '-');
      Map<String, Boolean> failed = new LinkedHashMap<>();
      for (Object o : (List<?>) ours.result().get("checks")) {
        Map<?, ?> c = (Map<?, ?>) o;
        String name = ((String) c.get("name")).replace(prefix, "-etc-kubernetes");
        failed.merge(name, !(Boolean) c.get("passed"), Boolean::logicalOr);
      }
      // kubeadm leaves CRI out when it cannot reach the runtime (a log line, no check)
      assertThat(failed.remove("CRI")).as("no runtime listens on %s", socket).isTrue();

      Set<String> kubeadmFailed = new TreeSet<>(printed.keySet());
      kubeadmFailed.removeAll(PreflightChecks.NOT_CHECKED);
      Set<String> ourFailed = new TreeSet<>();
      failed.forEach((n, f) -> {
        if (f) {
          ourFailed.add(n);
        }
      });
      assertThat(ourFailed).as("kubeadm printed %s", printed).isEqualTo(kubeadmFailed);
      assertThat(ourFailed).contains("Port-" + port, "FileAvailable--etc-kubernetes-manifests-etcd.yaml",
          "DirAvailable-" + etcd.getParent().toString().replace('/', '-'));
      assertThat(printed.get("Port-" + port)).isEqualTo("Port " + port + " is in use");
      assertThat(printed.get("FileAvailable--etc-kubernetes-manifests-etcd.yaml"))
          .isEqualTo("/etc/kubernetes/manifests/etcd.yaml already exists");
      for (Object o : (List<?>) ours.result().get("checks")) {
        Map<?, ?> c = (Map<?, ?>) o;
        String name = ((String) c.get("name")).replace(prefix, "-etc-kubernetes");
        String kubeadmMessage = printed.get(name);
        if (kubeadmMessage != null && !name.startsWith("FileAvailable") && !name.equals("HTTPProxyCIDR")) {
          assertThat(c.get("message")).as(name).isEqualTo(kubeadmMessage);
        }
      }
    }
  }

  /** Runs kubeadm in a private mount namespace and returns its printed warnings by check name. */
  private Map<String, String> kubeadmWarnings(Path kubeadm, Path config, Path k8s) throws Exception {
    Path ovl = Files.createDirectories(tmp.resolve("ovl"));
    String script = String.join(" && ",
        "mount --make-rprivate /",
        "mount -t tmpfs none " + ovl,
        "mkdir " + ovl + "/up " + ovl + "/work",
        "mount -t overlay overlay -o lowerdir=/etc,upperdir=" + ovl + "/up,workdir=" + ovl + "/work /etc",
        "mkdir -p /etc/kubernetes",
        "mount --bind " + k8s + " /etc/kubernetes",
        "exec " + kubeadm + " init phase preflight --config " + config + " --ignore-preflight-errors=all");
    Process p = new ProcessBuilder("unshare", "-m", "sh", "-c", script).redirectErrorStream(true).start();
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("kubeadm finished").isTrue();
    assertThat(out).as("kubeadm ran its checks").contains("[preflight] Running pre-flight checks");
    Map<String, String> warnings = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      Matcher m = WARNING.matcher(line);
      if (m.matches()) {
        warnings.merge(m.group(1), m.group(2), (a, b) -> a + "; " + b);
      }
    }
    return warnings;
  }
}
