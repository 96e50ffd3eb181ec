package io.kubeforge.worker.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kubeforge.worker.fuzz.Typed;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Fuzzes {@code kubeadm_config} as a request carries it (seeds: the kubeadm configurations the
 * tests use, v1beta3 and v1beta4, single- and dual-stack, external etcd): reading it into the
 * cluster model, and the PKI phase's view of that model, may only fail with a 4xx naming a
 * field.
 */
class KubeadmConfigFuzzTest {
  @FuzzTest(maxDuration = "20s")
  void kubeadmConfigFailsOnlyWithBadInput(byte[] yaml) {
    String text = new String(yaml, StandardCharsets.UTF_8);
    if (!text.contains("\n") && text.startsWith("/")) {
      return; // a single line starting with '/' is a path to a file, not YAML
    }
    Typed.onlyBadInput(() -> {
      ClusterModel m = ClusterModel.fromRequest(Map.of(RequestOptions.KUBEADM_CONFIG, text));
      m.pkiOptions(true);
    });
  }
}
