package io.kubeforge.worker.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.support.PhaseResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A moved control-plane endpoint or advertise address with {@code reissue_on_name_change}: only
 * the kubeconfigs whose server changes are rewritten, and only their server line, so the
 * identities in them (client certificate and key) stay.
 */
class ServerChangeTest {
  private static final List<String> ALL = List.of("admin.conf", "super-admin.conf", "kubelet.conf",
      "controller-manager.conf", "scheduler.conf");

  @TempDir
  Path root;

  private Map<String, Object> body(Object... more) {
    Map<String, Object> b = Fixtures.under(Fixtures.singleStack(), root);
    b.put("key_algorithm", "ECDSA-P256");
    for (int i = 0; i < more.length; i += 2) {
      b.put((String) more[i], more[i + 1]);
    }
    return b;
  }

  private PhaseResult run(Map<String, Object> body, boolean dryRun) {
    return new KubeconfigPhase(Fixtures.clientKeys(), Fixtures.CLOCK).run(body, dryRun);
  }

  private Map<String, String> files() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String f : ALL) {
      out.put(f, Files.readString(root.resolve("etc").resolve(f)));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> actions(PhaseResult r) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map<String, Object> f : (List<Map<String, Object>>) r.result().get("kubeconfigs")) {
      out.put((String) f.get("name"), (String) f.get("action"));
    }
    return out;
  }

  @Test
  void aNewControlPlaneEndpointChangesOnlyTheServerLineOfTheFilesThatPointAtIt() throws Exception {
    Fixtures.installCa(root.resolve("pki"), false);
    run(body("control_plane_endpoint", "lb-1.example.internal"), false);
    Map<String, String> before = files();

    PhaseResult r = run(body("control_plane_endpoint", "lb-2.example.internal", "reissue_on_name_change", true), false);

    assertThat(actions(r)).containsEntry("admin.conf", "updated").containsEntry("super-admin.conf", "updated")
        .containsEntry("kubelet.conf", "kept").containsEntry("controller-manager.conf", "kept")
        .containsEntry("scheduler.conf", "kept");
    Map<String, String> after = files();
    for (String f : ALL) {
      String expected = f.contains("admin")
          ? before.get(f).replace("server: https://lb-1.example.internal:6443", "server: https://lb-2.example.internal:6443")
          : before.get(f);
      assertThat(after.get(f)).as(f).isEqualTo(expected);
    }
    assertThat(after.get("admin.conf")).isNotEqualTo(before.get("admin.conf"));
    @SuppressWarnings("unchecked")
    List<String> backups = (List<String>) r.result().get("backups");
    assertThat(backups).hasSize(2).allMatch(b -> b.contains("admin.conf.") && b.endsWith(".bak"));
    assertThat(backups.stream().map(b -> {
      try {
        return Files.readString(Path.of(b));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    })).containsExactlyInAnyOrder(before.get("admin.conf"), before.get("super-admin.conf"));

    PhaseResult again = run(body("control_plane_endpoint", "lb-2.example.internal", "reissue_on_name_change", true), false);
    assertThat(again.changed()).isFalse();
    assertThat(files()).isEqualTo(after);
  }

  @Test
  void checkModeShowsTheOldAndNewServerAndWritesNothing() throws Exception {
    Fixtures.installCa(root.resolve("pki"), false);
    run(body(), false);
    Map<String, String> before = files();

    PhaseResult r = run(body("advertise_address", "192.168.10.12", "reissue_on_name_change", true), true);

    assertThat(r.changed()).isTrue();
    assertThat(actions(r).values()).containsOnly("updated");
    assertThat(files()).isEqualTo(before);
    assertThat((String) r.diff().get("before")).contains("# scheduler.conf\nserver https://192.168.10.11:6443\n");
    assertThat((String) r.diff().get("after"))
        .contains("# scheduler.conf\nserver https://192.168.10.12:6443 (only this line changes)\n");
  }

  @Test
  void withoutTheOptionAMovedServerStillReissuesTheFileWithANewIdentity() throws Exception {
    Fixtures.installCa(root.resolve("pki"), false);
    run(body(), false);
    Map<String, String> before = files();

    PhaseResult r = run(body("advertise_address", "192.168.10.12"), false);

    assertThat(actions(r).values()).containsOnly("reissued");
    String scheduler = files().get("scheduler.conf");
    assertThat(scheduler).contains("server: https://192.168.10.12:6443")
        .isNotEqualTo(before.get("scheduler.conf").replace("192.168.10.11", "192.168.10.12"));
  }
}
