package io.kubeforge.worker.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.support.PhaseResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatesHashTest {
  private final ManifestsPhase phase = new ManifestsPhase(Fixtures.BARE_HOST, Fixtures.CLOCK);

  @SuppressWarnings("unchecked")
  private static Map<String, String> actions(PhaseResult r) {
    Map<String, String> out = new TreeMap<>();
    for (Object o : (List<Object>) r.result().get("manifests")) {
      Map<String, Object> m = (Map<String, Object>) o;
      out.put((String) m.get("name"), m.get("action") + (m.containsKey("reason") ? ": " + m.get("reason") : ""));
    }
    return out;
  }

  @Test
  void aChangedCertificateChangesOnlyTheManifestsOfThePodsThatUseItAndNothingChangedKeepsThemAll(@TempDir Path root)
      throws Exception {
    Map<String, Object> body = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    body.put("certificates_hash", true);
    Path pki = root.resolve("pki");
    Files.createDirectories(pki.resolve("etcd"));
    for (String f : List.of("apiserver.crt", "ca.crt", "etcd/server.crt")) {
      Files.writeString(pki.resolve(f), "one " + f);
    }
    Files.createDirectories(root.resolve("etc"));
    Files.writeString(root.resolve("etc/scheduler.conf"), "one");
    phase.run(body, false);
    String api = Files.readString(root.resolve("etc/manifests/kube-apiserver.yaml"));
    assertThat(api).contains(ManifestsPhase.CERTIFICATES_HASH + ": sha256:");

    assertThat(phase.run(body, false).changed()).isFalse();

    Files.writeString(pki.resolve("apiserver.crt"), "two");
    Files.writeString(root.resolve("etc/scheduler.conf"), "two");
    PhaseResult r = phase.run(body, false);
    assertThat(actions(r)).containsExactlyEntriesOf(new TreeMap<>(Map.of(
        "etcd", "kept",
        "kube-apiserver", "updated: the certificates it uses changed (kubeforge.io/certificates-hash)",
        "kube-controller-manager", "kept",
        "kube-scheduler", "updated: the certificates it uses changed (kubeforge.io/certificates-hash)")));
    assertThat(Files.readString(root.resolve("etc/manifests/kube-apiserver.yaml"))).isNotEqualTo(api);
  }

  @Test
  void withoutTheOptionThereIsNoAnnotation(@TempDir Path root) throws Exception {
    phase.run(Fixtures.under(Fixtures.singleStack(), root), false);
    assertThat(Files.readString(root.resolve("etc/manifests/kube-apiserver.yaml"))).doesNotContain("certificates-hash");
  }
}
