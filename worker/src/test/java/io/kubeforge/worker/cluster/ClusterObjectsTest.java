package io.kubeforge.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.SafeYaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The golden files are the objects the real kubeadm v1.34.10 prints in its dry run
 * ({@code conformance/cluster_golden.sh}) for the conformance configs. Allowed differences, each
 * removed from kubeadm's side before comparing:
 * <ul>
 *   <li>{@code status}: the dry-run client prints the typed object's empty status; no client sends it.
 *   <li>kube-dns {@code metadata.resourceVersion: "0"}: kubeadm's template needs it for its
 *       Update call; server-side apply needs no precondition.
 * </ul>
 */
class ClusterObjectsTest {
  private static final Path GOLDEN = Path.of("src", "test", "resources", "golden", "cluster");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"single-stack", "dual-stack", "external-etcd", "single-stack-proxy-env"})
  @DisplayName("every object equals what kubeadm 1.34 creates for the same config and environment, in kubeadm's order")
  void objectsEqualKubeadms(String config) throws IOException {
    List<Map<String, Object>> ours = flatten(ClusterObjects.render(model(config), ca(config), Set.of(),
        ClusterObjects.DEFAULT_DNS_REPLICAS, environment(config)));
    List<Object> theirs = new ArrayList<>();
    for (Object o : SafeYaml.loadAll(read(GOLDEN.resolve(config).resolve("objects.yaml")), "golden")) {
      theirs.add(allowListed(o));
    }
    assertThat(ours).hasSameSizeAs(theirs);
    for (int i = 0; i < ours.size(); i++) {
      assertThat((Object) ours.get(i)).as("object %d", i).isEqualTo(theirs.get(i));
    }
  }

  @Test
  @DisplayName("a skipped phase renders none of its objects")
  void skippedPhasesRenderNothing() throws IOException {
    List<ClusterObjects.Rendered> r = ClusterObjects.render(model("single-stack"), ca("single-stack"),
        Set.of("addon/coredns", "addon/kube-proxy"), 2, Map.of());
    assertThat(r).extracting(ClusterObjects.Rendered::step).containsExactly(
        ClusterObjects.Step.UPLOAD_CONFIG_KUBEADM, ClusterObjects.Step.UPLOAD_CONFIG_KUBELET,
        ClusterObjects.Step.BOOTSTRAP_TOKEN);
  }

  @Test
  @DisplayName("a user's KubeletConfiguration is uploaded without kubeadm's hash annotation, as kubeadm does")
  void userKubeletConfigurationIsNotSigned() throws IOException {
    String yaml = read(GOLDEN.resolve("single-stack/kubeadm-config.yaml"))
        + "---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 50\n";
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config", yaml));
    Map<String, Object> cm = ClusterObjects.render(m, ca("single-stack"), Set.of(), 2, Map.of()).get(1).objects().get(0);
    assertThat(cm.get("metadata").toString()).doesNotContain(ClusterObjects.HASH_ANNOTATION);
    assertThat(((Map<?, ?>) cm.get("data")).get("kubelet").toString()).contains("maxPods: 50\n");
  }

  @Test
  @DisplayName("dns.imageRepository and dns.imageTag choose CoreDNS's image, and are uploaded in the ClusterConfiguration")
  void dnsImageOverrides() throws IOException {
    ClusterModel m = withConfig("imageRepository: mirror.example/k8s\ndns:\n  imageRepository: registry.k8s.io\n"
        + "  imageTag: v1.11.3\n");
    assertThat(ClusterObjects.dnsImage(m)).isEqualTo("registry.k8s.io/coredns/coredns:v1.11.3");
    assertThat(uploadedClusterConfiguration(m)).contains("dns:\n  imageRepository: registry.k8s.io\n  imageTag: v1.11.3\n");
    assertThat(ClusterObjects.dnsImage(withConfig("dns:\n  imageTag: v1.11.3\n")))
        .isEqualTo("registry.k8s.io/coredns/coredns:v1.11.3");
  }

  @Test
  @DisplayName("disabled addons are uploaded as kubeadm uploads them: dns.disabled and proxy.disabled true")
  void disabledAddonsAreUploaded() throws IOException {
    ClusterModel m = withConfig("dns:\n  disabled: true\nproxy:\n  disabled: true\n");
    assertThat(m.dns().disabled()).isTrue();
    assertThat(m.proxyDisabled()).isTrue();
    assertThat(uploadedClusterConfiguration(m)).contains("dns:\n  disabled: true\n").contains("proxy:\n  disabled: true\n");
    assertThat(uploadedClusterConfiguration(withConfig(""))).contains("dns: {}\n").contains("proxy: {}\n");
  }

  @Test
  @DisplayName("kube-proxy's container gets the *_proxy variables of the environment after NODE_NAME, sorted by name")
  void kubeProxyGetsTheProxyEnvironment() throws IOException {
    Map<String, String> env = Map.of("https_proxy", "http://proxy.example:3128", "NO_PROXY", "10.0.0.0/8,.svc",
        "HTTP_PROXY", "http://proxy.example:3128", "FTP_PROXY", "", "PATH", "/usr/bin", "PROXY", "x");
    List<ClusterObjects.Rendered> r = ClusterObjects.render(model("single-stack"), ca("single-stack"), Set.of(), 2, env);
    Map<String, Object> ds = r.get(4).objects().get(1);
    assertThat(ds.get("kind")).isEqualTo("DaemonSet");
    assertThat(containerEnv(ds)).containsExactly("NODE_NAME", "HTTP_PROXY=http://proxy.example:3128",
        "NO_PROXY=10.0.0.0/8,.svc", "https_proxy=http://proxy.example:3128");
  }

  @SuppressWarnings("unchecked")
  private static List<String> containerEnv(Map<String, Object> ds) {
    Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) ds.get("spec"))
        .get("template")).get("spec");
    List<Map<String, Object>> env = (List<Map<String, Object>>) ((List<Map<String, Object>>) spec.get("containers"))
        .get(0).get("env");
    return env.stream().map(e -> e.get("name") + (e.containsKey("value") ? "=" + e.get("value") : "")).toList();
  }

  private static ClusterModel withConfig(String clusterConfigurationLines) throws IOException {
    String yaml = read(GOLDEN.resolve("single-stack/kubeadm-config.yaml")) + clusterConfigurationLines;
    return ClusterModel.fromRequest(Map.of("kubeadm_config", yaml));
  }

  private static String uploadedClusterConfiguration(ClusterModel m) {
    return io.kubeforge.worker.config.KubeYaml.render(ClusterObjects.clusterConfiguration(m));
  }

  @Test
  @DisplayName("a user's KubeProxyConfiguration goes into config.conf over kubeadm's, defaults kept where it leaves them empty, unsigned")
  void userKubeProxyConfiguration() throws IOException {
    String yaml = read(GOLDEN.resolve("single-stack/kubeadm-config.yaml"))
        + "---\napiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n"
        + "bindAddress: \"\"\nipvs:\n  strictARP: true\n";
    ClusterModel m = ClusterModel.fromRequest(Map.of("kubeadm_config", yaml));
    Map<String, Object> cm = ClusterObjects.render(m, ca("single-stack"), Set.of(), 2, Map.of()).get(4).objects().get(0);
    String conf = ((Map<?, ?>) cm.get("data")).get("config.conf").toString();
    assertThat(conf).contains("\nmode: ipvs\n").contains("\nbindAddress: 0.0.0.0\n")
        .contains("  strictARP: true\n").contains("  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\n");
    assertThat(cm.get("metadata").toString()).doesNotContain(ClusterObjects.HASH_ANNOTATION);
    Map<String, Object> plain = ClusterObjects.render(model("single-stack"), ca("single-stack"), Set.of(), 2, Map.of())
        .get(4).objects().get(0);
    assertThat(plain.get("metadata").toString()).contains(ClusterObjects.HASH_ANNOTATION);
  }

  @Test
  @DisplayName("CoreDNS from a private registry drops the coredns/ path segment, as kubeadm's GetDNSImage")
  void privateRegistryCoreDnsImage() throws IOException {
    assertThat(ClusterObjects.dnsImage(withConfig(""))).isEqualTo("registry.k8s.io/coredns/coredns:v1.12.1");
    assertThat(ClusterObjects.dnsImage(withConfig("imageRepository: mirror.example/k8s\n")))
        .isEqualTo("mirror.example/k8s/coredns:v1.12.1");
  }

  /** The variables kubeadm ran with for a golden ({@code environment}, KEY=VALUE lines), none when absent. */
  static Map<String, String> environment(String config) throws IOException {
    Path file = GOLDEN.resolve(config).resolve("environment");
    Map<String, String> env = new java.util.HashMap<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.startsWith("#") && line.contains("=")) {
          env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        }
      }
    }
    return env;
  }

  static ClusterModel model(String config) throws IOException {
    return ClusterModel.fromRequest(Map.of("kubeadm_config", read(GOLDEN.resolve(config).resolve("kubeadm-config.yaml"))));
  }

  static ClusterObjects.AdminCluster ca(String config) throws IOException {
    return ClusterObjects.AdminCluster.of(model(config), read(GOLDEN.resolve(config).resolve("ca.crt")));
  }

  private static List<Map<String, Object>> flatten(List<ClusterObjects.Rendered> rendered) {
    List<Map<String, Object>> all = new ArrayList<>();
    rendered.forEach(r -> all.addAll(r.objects()));
    return all;
  }

  @SuppressWarnings("unchecked")
  private static Object allowListed(Object o) {
    Map<String, Object> obj = (Map<String, Object>) o;
    obj.remove("status");
    Map<String, Object> meta = (Map<String, Object>) obj.get("metadata");
    if ("Service".equals(obj.get("kind")) && "kube-dns".equals(meta.get("name"))) {
      meta.remove("resourceVersion");
    }
    return obj;
  }

  private static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.UTF_8);
  }
}
