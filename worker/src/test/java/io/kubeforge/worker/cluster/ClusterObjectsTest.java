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
  @ValueSource(strings = {"single-stack", "dual-stack"})
  @DisplayName("every object equals what kubeadm 1.34 creates for the same config, in kubeadm's order")
  void objectsEqualKubeadms(String config) throws IOException {
    List<Map<String, Object>> ours = flatten(ClusterObjects.render(model(config), ca(config), Set.of(),
        ClusterObjects.DEFAULT_DNS_REPLICAS));
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
        Set.of("addon/coredns", "addon/kube-proxy"), 2);
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
    Map<String, Object> cm = ClusterObjects.render(m, ca("single-stack"), Set.of(), 2).get(1).objects().get(0);
    assertThat(cm.get("metadata").toString()).doesNotContain(ClusterObjects.HASH_ANNOTATION);
    assertThat(((Map<?, ?>) cm.get("data")).get("kubelet").toString()).contains("maxPods: 50\n");
  }

  @Test
  @DisplayName("CoreDNS from a private registry drops the coredns/ path segment, as kubeadm's GetDNSImage")
  void privateRegistryCoreDnsImage() {
    assertThat(ClusterObjects.dnsImage("registry.k8s.io")).isEqualTo("registry.k8s.io/coredns/coredns:v1.12.1");
    assertThat(ClusterObjects.dnsImage("mirror.example/k8s")).isEqualTo("mirror.example/k8s/coredns:v1.12.1");
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
