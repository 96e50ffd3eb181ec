package io.kubeforge.worker.preflight;

import io.kubeforge.worker.kube.ProxyFromEnv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kubeadm check against a host made in a temporary folder: a {@code /proc} of our own, a PATH
 * of our own, the cluster's folders below the folder, real listeners and sockets.
 */
class PreflightPhaseTest {
  @TempDir Path tmp;
  private Path proc;
  private Path bin;
  private final Map<String, String> env = new HashMap<>();
  private Host.Resolver resolver = name -> List.of("192.0.2.1");

  @BeforeEach
  void cleanHost() throws IOException {
    proc = Files.createDirectories(tmp.resolve("proc"));
    write(proc.resolve("self/status"), "Name:\tjava\nUid:\t0\t0\t0\t0\nCpus_allowed_list:\t0-3\n");
    write(proc.resolve("meminfo"), "MemTotal:       24576000 kB\nMemFree: 1 kB\n");
    write(proc.resolve("swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    write(proc.resolve("sys/net/ipv4/ip_forward"), "1\n");
    write(proc.resolve("sys/net/ipv6/conf/default/forwarding"), "1\n");
    bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : List.of("losetup", "mount", "cp")) {
      script(tool, "exit 0");
    }
    env.put("PATH", bin.toString());
  }

  private static void write(Path p, String text) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  private void script(String name, String body) throws IOException {
    Path p = bin.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private Host host() {
    return new Host(proc, env, name -> resolver.lookup(name), Duration.ofSeconds(2), Duration.ofMillis(50));
  }

  private Map<String, Object> body(Object... extra) {
    Map<String, Object> b = new HashMap<>();
    b.put("node_name", "cp-1");
    b.put("advertise_address", "10.0.0.5");
    b.put("bind_port", 16443);
    b.put("manifest_dir", tmp.resolve("k8s/manifests").toString());
    b.put("kubeconfig_dir", tmp.resolve("k8s").toString());
    b.put("cert_dir", tmp.resolve("k8s/pki").toString());
    b.put("etcd_data_dir", tmp.resolve("etcd").toString());
    b.put("cri_socket", "unix://" + tmp.resolve("cri.sock"));
    for (int i = 0; i < extra.length; i += 2) {
      b.put((String) extra[i], extra[i + 1]);
    }
    return b;
  }

  private PhaseResult run(Object... extra) {
    return new PreflightPhase(host()).run(body(extra), false);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> checks(PhaseResult r) {
    return (List<Map<String, Object>>) r.result().get("checks");
  }

  private static Map<String, Object> check(PhaseResult r, String name) {
    return checks(r).stream().filter(c -> c.get("name").equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(name + " not among " + names(r)));
  }

  private static List<String> names(PhaseResult r) {
    return checks(r).stream().map(c -> (String) c.get("name")).toList();
  }

  private static List<String> failing(PhaseResult r) {
    return checks(r).stream().filter(c -> !(Boolean) c.get("passed")).map(c -> (String) c.get("name")).toList();
  }

  private String dashed(String p) {
    return tmp.resolve(p).toString().replace('/', '-');
  }

  @Test
  @DisplayName("init runs kubeadm's init checks in kubeadm's order, with kubeadm's names")
  void initRunsKubeadmsChecksInOrder() {
    PhaseResult r = run("pod_subnet", "10.244.0.0/16");
    assertThat(names(r)).containsExactly("IsPrivilegedUser", "NumCPU", "Mem", "KubernetesVersion",
        "Port-16443", "Port-10259", "Port-10257",
        "FileAvailable-" + dashed("k8s/manifests/kube-apiserver.yaml"),
        "FileAvailable-" + dashed("k8s/manifests/kube-controller-manager.yaml"),
        "FileAvailable-" + dashed("k8s/manifests/kube-scheduler.yaml"),
        "FileAvailable-" + dashed("k8s/manifests/etcd.yaml"),
        "HTTPProxy", "HTTPProxyCIDR", "HTTPProxyCIDR", "CRI", "Swap", "FileExisting-losetup", "FileExisting-mount",
        "FileExisting-cp", "Hostname", "KubeletVersion", "Port-10250", "FileContent--proc-sys-net-ipv4-ip_forward",
        "Port-2379", "Port-2380", "DirAvailable-" + dashed("etcd"));
    assertThat(r.changed()).isFalse();
    assertThat(r.result().get("not_checked")).isEqualTo(List.of("Firewalld", "SystemVerification", "Service-Kubelet", "ImagePull"));
  }

  @Test
  @DisplayName("a host without a container runtime and without a kubelet fails CRI and KubeletVersion with kubeadm's words")
  void noRuntimeAndNoKubeletFailCriAndKubeletVersion() {
    PhaseResult r = run();
    assertThat(check(r, "CRI")).containsEntry("passed", false).containsEntry("severity", "error")
        .containsEntry("message", "container runtime is not running: dial unix " + tmp.resolve("cri.sock")
            + ": connect: no such file or directory");
    assertThat(check(r, "KubeletVersion")).containsEntry("passed", false).containsEntry("message",
        "couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH");
    assertThat(failing(r)).doesNotContain("IsPrivilegedUser", "NumCPU", "Mem", "Swap", "FileExisting-cp", "Hostname",
        "FileContent--proc-sys-net-ipv4-ip_forward", "DirAvailable-" + dashed("etcd"));
  }

  @Test
  @DisplayName("a listening runtime socket passes CRI")
  void listeningRuntimeSocketPassesCri() throws IOException {
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(tmp.resolve("cri.sock")));
      assertThat(check(run(), "CRI")).containsEntry("passed", true).containsEntry("message", "");
    }
  }

  @Test
  @DisplayName("a port taken by a listener fails Port-6443 (or the configured bind port) as an error")
  void takenPortFailsPortCheck() throws IOException {
    ServerSocket listener;
    int port = 6443;
    try {
      listener = new ServerSocket();
      listener.bind(new InetSocketAddress(6443));
    } catch (IOException busy) {
      listener = new ServerSocket(0);
      port = listener.getLocalPort();
    }
    try (ServerSocket l = listener) {
      PhaseResult r = run("bind_port", port);
      assertThat(check(r, "Port-" + port)).containsEntry("passed", false).containsEntry("severity", "error")
          .containsEntry("message", "Port " + port + " is in use");
      assertThat((int) r.result().get("error_count")).isPositive();
    }
    assertThat(check(run("bind_port", port), "Port-" + port)).containsEntry("passed", true);
  }

  @Test
  @DisplayName("a leftover manifest fails its FileAvailable check; ignore turns that and the port into warnings")
  void leftoverManifestFailsAndIgnoreMakesWarnings() throws IOException {
    write(tmp.resolve("k8s/manifests/etcd.yaml"), "kind: Pod\n");
    String name = "FileAvailable-" + dashed("k8s/manifests/etcd.yaml");
    PhaseResult r = run();
    assertThat(check(r, name)).containsEntry("passed", false).containsEntry("severity", "error")
        .containsEntry("ignored", false)
        .containsEntry("message", tmp.resolve("k8s/manifests/etcd.yaml") + " already exists");
    try (ServerSocket l = new ServerSocket(0)) {
      PhaseResult ignored = run("bind_port", l.getLocalPort(),
          "ignore", List.of(name.toUpperCase(), "port-" + l.getLocalPort(), "CRI", "kubeletversion"));
      assertThat(check(ignored, name)).containsEntry("passed", false).containsEntry("severity", "warning")
          .containsEntry("ignored", true);
      assertThat(check(ignored, "Port-" + l.getLocalPort())).containsEntry("severity", "warning").containsEntry("ignored", true);
      assertThat(ignored.warnings()).contains("[WARNING " + name + "]: " + tmp.resolve("k8s/manifests/etcd.yaml") + " already exists");
      assertThat(failing(ignored)).allSatisfy(n -> assertThat(check(ignored, n)).containsEntry("severity", "warning"));
    }
  }

  @Test
  @DisplayName("ignore 'all' makes every error a warning, and 'all' beside a name is refused as kubeadm refuses it")
  void ignoreAll() {
    PhaseResult r = run("ignore", List.of("all"));
    assertThat(r.result().get("error_count")).isEqualTo(0);
    assertThat(checks(r)).allSatisfy(c -> assertThat(c).containsEntry("severity", "warning").containsEntry("ignored", true));
    assertThatThrownBy(() -> run("ignore", List.of("all", "CRI"))).isInstanceOf(WorkerException.class)
        .satisfies(e -> assertThat(((WorkerException) e).field()).isEqualTo("ignore"))
        .hasMessageContaining("don't specify individual checks if 'all' is used");
  }

  private static String withIgnoredInConfig(String... names) {
    return "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n"
        + "  ignorePreflightErrors:\n" + java.util.Arrays.stream(names).map(n -> "  - " + n + "\n")
        .collect(Collectors.joining());
  }

  @Test
  @DisplayName("nodeRegistration.ignorePreflightErrors of kubeadm_config ignores checks as the ignore option does, "
      + "case-insensitive and merged with it, as kubeadm merges the file with --ignore-preflight-errors")
  void ignorePreflightErrorsOfTheConfigurationAreMergedWithIgnore() throws IOException {
    write(tmp.resolve("k8s/manifests/etcd.yaml"), "kind: Pod\n");
    String name = "FileAvailable-" + dashed("k8s/manifests/etcd.yaml");
    try (ServerSocket l = new ServerSocket(0)) {
      PhaseResult r = run("bind_port", l.getLocalPort(), "kubeadm_config", withIgnoredInConfig(name.toUpperCase()),
          "ignore", List.of("port-" + l.getLocalPort()));
      assertThat(check(r, name)).containsEntry("passed", false).containsEntry("severity", "warning")
          .containsEntry("ignored", true);
      assertThat(check(r, "Port-" + l.getLocalPort())).containsEntry("passed", false).containsEntry("ignored", true);
      PhaseResult fileOnly = run("bind_port", l.getLocalPort(), "kubeadm_config", withIgnoredInConfig(name));
      assertThat(check(fileOnly, name)).containsEntry("ignored", true);
      assertThat(check(fileOnly, "Port-" + l.getLocalPort())).containsEntry("severity", "error").containsEntry("ignored", false);
    }
    PhaseResult all = run("kubeadm_config", withIgnoredInConfig("All"));
    assertThat(all.result().get("error_count")).isEqualTo(0);
    assertThat(checks(all)).allSatisfy(c -> assertThat(c).containsEntry("ignored", true));
    assertThatThrownBy(() -> run("kubeadm_config", withIgnoredInConfig("all"), "ignore", List.of("CRI")))
        .isInstanceOf(WorkerException.class)
        .hasMessageContaining("don't specify individual checks if 'all' is used");
    assertThatThrownBy(() -> run("kubeadm_config", withIgnoredInConfig("all", "Swap")))
        .isInstanceOf(WorkerException.class)
        .satisfies(e -> assertThat(((WorkerException) e).field()).isEqualTo("kubeadm_config"));
  }

  @Test
  @DisplayName("a non-root user, one CPU and 1000 MB fail IsPrivilegedUser, NumCPU and Mem")
  void smallHostFails() throws IOException {
    write(proc.resolve("self/status"), "Uid:\t1000\t1000\t1000\t1000\nCpus_allowed_list:\t0\n");
    write(proc.resolve("meminfo"), "MemTotal:        1024000 kB\n");
    PhaseResult r = run();
    assertThat(check(r, "IsPrivilegedUser")).containsEntry("message", "user is not running as root");
    assertThat(check(r, "NumCPU")).containsEntry("message", "the number of available CPUs 1 is less than the required 2");
    assertThat(check(r, "Mem")).containsEntry("message", "the system RAM (1000 MB) is less than the minimum 1700 MB");
    assertThat(Probes.countCpus("0-3,8,10-11")).isEqualTo(7);
  }

  @Test
  @DisplayName("an active swap device, forwarding off and a non-empty etcd folder fail Swap (warning), FileContent and DirAvailable")
  void swapForwardingAndEtcdDir() throws IOException {
    write(proc.resolve("swaps"), "Filename Type Size Used Priority\n/swapfile file 1024 0 -2\n");
    write(proc.resolve("sys/net/ipv4/ip_forward"), "0\n");
    write(tmp.resolve("etcd/member/snap"), "x");
    PhaseResult r = run();
    assertThat(check(r, "Swap")).containsEntry("severity", "warning").containsEntry("passed", false);
    assertThat((String) check(r, "Swap").get("message")).startsWith("swap is supported for cgroup v2 only.");
    assertThat(check(r, "FileContent--proc-sys-net-ipv4-ip_forward")).containsEntry("message",
        proc.resolve("sys/net/ipv4/ip_forward") + " contents are not set to 1");
    assertThat(check(r, "DirAvailable-" + dashed("etcd"))).containsEntry("message", tmp.resolve("etcd") + " is not empty");
    assertThat(r.warnings()).anyMatch(w -> w.startsWith("[WARNING Swap]: swap is supported"));
  }

  @Test
  @DisplayName("dual-stack subnets add the IPv6 forwarding check; a missing /proc file fails with 'does not exist'")
  void dualStackChecksIpv6Forwarding() throws IOException {
    Files.delete(proc.resolve("sys/net/ipv6/conf/default/forwarding"));
    PhaseResult r = run("service_subnet", "10.96.0.0/12,fd00:10:96::/112");
    assertThat(check(r, "FileContent--proc-sys-net-ipv6-conf-default-forwarding")).containsEntry("message",
        proc.resolve("sys/net/ipv6/conf/default/forwarding") + " does not exist");
  }

  @Test
  @DisplayName("missing tools fail FileExisting-<tool>; Kubernetes before v1.32 also needs conntrack")
  void missingToolsFailFileExisting() throws IOException {
    Files.delete(bin.resolve("losetup"));
    PhaseResult r = run("kubernetes_version", "v1.31.2");
    assertThat(check(r, "FileExisting-losetup")).containsEntry("message", "losetup not found in system path");
    assertThat(check(r, "FileExisting-conntrack")).containsEntry("passed", false);
    assertThat(names(run())).doesNotContain("FileExisting-conntrack");
  }

  @Test
  @DisplayName("a Kubernetes version past kubeadm's minor is a KubernetesVersion warning")
  void futureKubernetesVersionWarns() {
    assertThat(check(run("kubernetes_version", "v1.35.0"), "KubernetesVersion")).containsEntry("severity", "warning")
        .containsEntry("message", "Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. "
            + "Kubernetes version: 1.35.0. Kubeadm version: 1.34.x");
  }

  @Test
  @DisplayName("HTTPS_PROXY without an exception for the advertise address and the pod subnet is reported; NO_PROXY CIDRs exempt")
  void proxyEnvironment() {
    env.put("HTTPS_PROXY", "proxy.example:3128");
    env.put("NO_PROXY", "localhost,.svc,10.96.0.0/12");
    PhaseResult r = run("pod_subnet", "10.244.0.0/16");
    assertThat(check(r, "HTTPProxy")).containsEntry("severity", "warning").containsEntry("message",
        "Connection to \"https://10.0.0.5\" uses proxy \"http://proxy.example:3128\". If that is not intended, adjust your proxy settings");
    List<Map<String, Object>> cidr = checks(r).stream().filter(c -> c.get("name").equals("HTTPProxyCIDR")).toList();
    assertThat(cidr.get(0)).containsEntry("passed", true);
    assertThat(cidr.get(1)).containsEntry("message", "connection to \"10.244.0.0/16\" uses proxy \"http://proxy.example:3128\". "
        + "This may lead to malfunctional cluster setup. Make sure that Pod and Services IP ranges specified correctly "
        + "as exceptions in proxy configuration");
    env.put("NO_PROXY", "*");
    assertThat(failing(run("pod_subnet", "10.244.0.0/16"))).doesNotContain("HTTPProxy", "HTTPProxyCIDR");
    assertThat(ProxyFromEnv.proxyUrlFor("api.example.com", 443, Map.of("https_proxy", "http://p:1", "no_proxy", "example.com:443,10.0.0.5"))).isEmpty();
    assertThat(ProxyFromEnv.proxyUrlFor("api.example.com", 1234, Map.of("https_proxy", "http://p:1", "no_proxy", "example.com:443"))).isPresent();
    assertThat(ProxyFromEnv.proxyUrlFor("127.0.0.1", 443, Map.of("https_proxy", "http://p:1"))).isEmpty();
  }

  @Test
  @DisplayName("a node name that does not resolve is a Hostname warning, within the time limit")
  void unresolvableHostnameWarns() {
    resolver = name -> {
      throw new UnknownHostException(name);
    };
    assertThat(check(run(), "Hostname")).containsEntry("severity", "warning").containsEntry("message",
        "hostname \"cp-1\" could not be reached; hostname \"cp-1\": lookup cp-1: no such host");
    resolver = name -> {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of();
    };
    long t0 = System.nanoTime();
    assertThat((String) check(run(), "Hostname").get("message")).contains("i/o timeout");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  @DisplayName("the kubelet in PATH must be at least v1.31 and not newer than the control plane")
  void kubeletVersion() throws IOException {
    script("kubelet", "echo 'Kubernetes v1.30.4'");
    assertThat(check(run(), "KubeletVersion")).containsEntry("message",
        "Kubelet version \"1.30.4\" is lower than kubeadm can support. Please upgrade kubelet");
    script("kubelet", "echo 'Kubernetes v1.35.0'");
    assertThat((String) check(run(), "KubeletVersion").get("message")).startsWith(
        "the kubelet version is higher than the control plane version.");
    script("kubelet", "echo 'Kubernetes v1.34.10'");
    assertThat(check(run(), "KubeletVersion")).containsEntry("passed", true);
    script("kubelet", "echo 'Kubernetes v1.35.0'");
    assertThat(check(run("mode", "join"), "KubeletVersion")).as("join has no control plane version to compare")
        .containsEntry("passed", true);
  }

  @Test
  @DisplayName("join checks the kubelet's kubeconfigs, the CA file and the discovery endpoint, not the control-plane ports")
  void joinChecks() throws IOException {
    write(tmp.resolve("k8s/kubelet.conf"), "x");
    PhaseResult r = run("mode", "join", "api_server_endpoint", "10.0.0.1:6443");
    assertThat(names(r)).containsExactly("IsPrivilegedUser", "FileAvailable-" + dashed("k8s/kubelet.conf"),
        "FileAvailable-" + dashed("k8s/bootstrap-kubelet.conf"), "CRI", "Swap", "FileExisting-losetup",
        "FileExisting-mount", "FileExisting-cp", "Hostname", "KubeletVersion", "Port-10250",
        "FileAvailable-" + dashed("k8s/pki/ca.crt"), "HTTPProxy", "FileContent--proc-sys-net-ipv4-ip_forward");
    assertThat(failing(r)).contains("FileAvailable-" + dashed("k8s/kubelet.conf"));
    assertThat(r.result()).containsEntry("mode", "join");
  }

  @Test
  @DisplayName("join_control_plane needs a controlPlaneEndpoint and the shared certificates, which no ignore silences")
  void joinControlPlaneNeedsEndpointAndSharedCertificates() {
    PhaseResult r = run("mode", "join_control_plane", "ignore", List.of("all"));
    assertThat(check(r, "ControlPlaneEndpoint")).containsEntry("passed", false).containsEntry("severity", "error")
        .containsEntry("ignored", false).containsEntry("message",
            "unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address");
    assertThat((String) check(r, "SharedCertificates").get("message")).startsWith(
        "[failure loading certificate for CA: couldn't load the certificate file " + tmp.resolve("k8s/pki/ca.crt"));
    assertThat(r.result().get("error_count")).isEqualTo(2);
    assertThat(names(r)).contains("Port-16443", "FileAvailable-" + dashed("k8s/manifests/etcd.yaml"), "Port-2379")
        .doesNotContain("FileAvailable-" + dashed("k8s/pki/ca.crt"));
    PhaseResult withKey = run("mode", "join_control_plane", "control_plane_endpoint", "cp.example:6443",
        "certificate_key", "a".repeat(64));
    assertThat(names(withKey)).doesNotContain("SharedCertificates");
    assertThat(check(withKey, "ControlPlaneEndpoint")).containsEntry("passed", true);
    assertThatThrownBy(() -> run("mode", "join_control_plane", "certificate_key", "short"))
        .isInstanceOf(WorkerException.class).hasMessageContaining("64 hexadecimal");
    assertThatThrownBy(() -> run("mode", "upgrade")).isInstanceOf(WorkerException.class)
        .hasMessageContaining("must be one of init, join, join_control_plane");
  }

  @Test
  @DisplayName("external etcd: missing certificate files fail ExternalEtcdClientCertificates; /version is retried after a 5xx")
  void externalEtcd() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    String[] version = {"3.6.5"};
    HttpServer etcd = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    etcd.createContext("/version", ex -> {
      int n = calls.incrementAndGet();
      byte[] b = ("{\"etcdserver\":\"" + version[0] + "\",\"etcdcluster\":\"3.6.0\"}").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(n <= 2 ? 503 : 200, n <= 2 ? -1 : b.length);
      if (n > 2) {
        ex.getResponseBody().write(b);
      }
      ex.close();
    });
    etcd.start();
    try {
      String url = "http://127.0.0.1:" + etcd.getAddress().getPort();
      PhaseResult r = run("etcd", "external", "etcd_external_endpoints", List.of(url),
          "etcd_external_ca_file", tmp.resolve("no/ca.crt").toString());
      assertThat(check(r, "ExternalEtcdVersion")).containsEntry("passed", false);
      assertThat(check(r, "ExternalEtcdClientCertificates")).containsEntry("message", tmp.resolve("no/ca.crt") + " doesn't exist");
      assertThat(names(r)).doesNotContain("Port-2379", "Port-2380");
      PhaseResult plain = run("etcd", "external", "etcd_external_endpoints", List.of(url));
      assertThat(check(plain, "ExternalEtcdVersion")).containsEntry("passed", true);
      assertThat(calls.get()).isEqualTo(3);
      version[0] = "3.4.0";
      assertThat(check(run("etcd", "external", "etcd_external_endpoints", List.of(url)), "ExternalEtcdVersion"))
          .containsEntry("message", "this version of kubeadm only supports external etcd version >= 3.5.24-0. Current version: 3.4.0");
    } finally {
      etcd.stop(0);
    }
    try (ServerSocket closed = new ServerSocket(0)) {
      int port = closed.getLocalPort();
      closed.close();
      String message = (String) check(run("etcd", "external", "etcd_external_endpoints", List.of("http://127.0.0.1:" + port)),
          "ExternalEtcdVersion").get("message");
      assertThat(message).startsWith("Get \"http://127.0.0.1:" + port + "/version\": ");
    }
  }

  @Test
  @DisplayName("a FIFO where a /proc file should be is never opened")
  void fifoIsNeverRead() throws Exception {
    Files.delete(proc.resolve("swaps"));
    Process mkfifo = new ProcessBuilder("mkfifo", proc.resolve("swaps").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    assertThat(check(run(), "Swap")).containsEntry("passed", true);
  }

  @Test
  @DisplayName("the result's counts agree with its rows")
  void countsAgree() {
    PhaseResult r = run();
    Map<String, Long> bySeverity = checks(r).stream().filter(c -> !(Boolean) c.get("passed"))
        .collect(Collectors.groupingBy(c -> (String) c.get("severity"), Collectors.counting()));
    assertThat((int) r.result().get("error_count")).isEqualTo(bySeverity.getOrDefault("error", 0L).intValue());
    assertThat((int) r.result().get("warning_count")).isEqualTo(bySeverity.getOrDefault("warning", 0L).intValue());
    assertThat(r.warnings()).hasSize((int) r.result().get("warning_count"));
  }
}
