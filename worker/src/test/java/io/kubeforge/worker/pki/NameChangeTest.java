package io.kubeforge.worker.pki;

import static io.kubeforge.worker.pki.PkiTrees.START;
import static io.kubeforge.worker.pki.PkiTrees.cert;
import static io.kubeforge.worker.pki.PkiTrees.options;
import static io.kubeforge.worker.pki.PkiTrees.phase;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SAN and endpoint changes after init with {@code reissue_on_name_change}: only the certificates
 * whose names change are issued again (same key unless asked), checked with the real openssl.
 */
class NameChangeTest {
  private static final java.time.Instant LATER = START.plusSeconds(60);

  @TempDir
  Path dir;

  @BeforeAll
  static void requireOpenssl() {
    boolean present;
    try {
      present = openssl("version").exit == 0;
    } catch (IOException | InterruptedException e) {
      present = false;
    }
    assumeTrue(present, "openssl is not installed");
  }

  private Object[] with(Object... more) {
    List<Object> all = new ArrayList<>(List.of("key_algorithm", "ECDSA-P256"));
    all.addAll(Arrays.asList(more));
    return all.toArray();
  }

  private void init(Object... more) {
    phase().run(options(dir, with(more)), false);
  }

  private PhaseResult change(boolean dryRun, Object... more) {
    return phase(LATER).run(options(dir, with(more)), dryRun);
  }

  private Map<String, byte[]> files() throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private static List<String> changedFiles(Map<String, byte[]> before, Map<String, byte[]> after) {
    return after.keySet().stream().filter(f -> !f.endsWith(".bak"))
        .filter(f -> !before.containsKey(f) || !Arrays.equals(before.get(f), after.get(f))).toList();
  }

  @Test
  void anAddedApiserverSanReissuesOnlyTheApiserverCertificateWithItsOwnKey() throws Exception {
    init();
    Map<String, byte[]> before = files();

    PhaseResult r = change(false, "apiserver_cert_sans", List.of("api.example.com", "10.0.0.5"),
        "reissue_on_name_change", true);

    assertThat(r.changed()).isTrue();
    assertThat(cert(r.result(), "apiserver").get("action")).isEqualTo("reissued");
    assertThat(cert(r.result(), "apiserver").get("reason"))
        .isEqualTo("names changed: added DNS:api.example.com, IP:10.0.0.5; same key");
    Map<String, byte[]> after = files();
    assertThat(changedFiles(before, after)).containsExactly("apiserver.crt");
    assertThat(r.result().get("backups")).isEqualTo(List.of(dir.resolve("apiserver.crt.20261123T120100Z.bak").toString()));
    String crt = dir.resolve("apiserver.crt").toString();
    assertThat(openssl("x509", "-in", crt, "-noout", "-checkhost", "api.example.com").out).contains("does match");
    assertThat(openssl("x509", "-in", crt, "-noout", "-checkip", "10.0.0.5").out).contains("does match");
    assertThat(openssl("x509", "-in", crt, "-noout", "-checkip", "192.168.0.10").out).contains("does match");
    assertThat(openssl("verify", "-x509_strict", "-CAfile", dir.resolve("ca.crt").toString(), crt).exit).isZero();
    assertThat(openssl("x509", "-in", crt, "-noout", "-pubkey").out)
        .isEqualTo(openssl("pkey", "-in", dir.resolve("apiserver.key").toString(), "-pubout").out);

    PhaseResult again = change(false, "apiserver_cert_sans", List.of("api.example.com", "10.0.0.5"),
        "reissue_on_name_change", true);
    assertThat(again.changed()).isFalse();
    assertThat(changedFiles(after, files())).isEmpty();
  }

  @Test
  void aRemovedSanIsKeptByDefaultAndDroppedOnlyWithTheOption() throws Exception {
    init("apiserver_cert_sans", List.of("old.example.com"));

    assertThat(change(false).changed()).isFalse();
    PhaseResult r = change(false, "reissue_on_name_change", true);

    assertThat(cert(r.result(), "apiserver").get("reason")).isEqualTo("names changed: removed DNS:old.example.com; same key");
    assertThat(openssl("x509", "-in", dir.resolve("apiserver.crt").toString(), "-noout", "-checkhost",
        "old.example.com").out).contains("does NOT match");
    assertThat(change(false, "reissue_on_name_change", true).changed()).isFalse();
  }

  @Test
  void aNewAdvertiseAddressReissuesTheApiserverAndEtcdServingCertificatesOnly() throws Exception {
    init();
    Map<String, byte[]> before = files();

    PhaseResult r = change(false, "advertise_address", "192.168.0.11", "reissue_on_name_change", true);

    assertThat(changedFiles(before, files())).containsExactlyInAnyOrder("apiserver.crt", "etcd/server.crt", "etcd/peer.crt");
    assertThat(cert(r.result(), "etcd-peer").get("reason"))
        .isEqualTo("names changed: added IP:192.168.0.11; removed IP:192.168.0.10; same key");
    for (String crt : List.of("apiserver.crt", "etcd/server.crt", "etcd/peer.crt")) {
      assertThat(openssl("x509", "-in", dir.resolve(crt).toString(), "-noout", "-checkip", "192.168.0.11").out)
          .as(crt).contains("does match");
      assertThat(openssl("x509", "-in", dir.resolve(crt).toString(), "-noout", "-checkip", "192.168.0.10").out)
          .as(crt).contains("does NOT match");
    }
  }

  @Test
  void aNewControlPlaneEndpointInCheckModeShowsTheNameChangeAndWritesNothing() throws Exception {
    init();
    Map<String, byte[]> before = files();

    PhaseResult r = change(true, "control_plane_endpoint", "lb.example.com:6443", "reissue_on_name_change", true);

    assertThat(r.changed()).isTrue();
    assertThat(files()).containsOnlyKeys(before.keySet());
    assertThat(changedFiles(before, files())).isEmpty();
    String after = (String) r.diff().get("after");
    assertThat(after).containsPattern("apiserver\\.crt: .*DNS:lb\\.example\\.com.*"
        + "\\(names changed: added DNS:lb\\.example\\.com; same key\\)");
    String beforeDiff = (String) r.diff().get("before");
    String keyLine = beforeDiff.lines().filter(l -> l.startsWith("apiserver.key: ")).findFirst().orElseThrow();
    assertThat(after.lines()).contains(keyLine);
    assertThat(after.lines().filter(l -> l.contains("names changed"))).hasSize(1);
  }

  @Test
  void reissueNewKeyGivesTheRenamedCertificateANewKey() throws Exception {
    init();
    Map<String, byte[]> before = files();

    PhaseResult r = change(false, "apiserver_cert_sans", List.of("api.example.com"), "reissue_on_name_change", true,
        "reissue_new_key", true);

    assertThat(cert(r.result(), "apiserver").get("reason")).isEqualTo("names changed: added DNS:api.example.com; new key");
    assertThat(changedFiles(before, files())).containsExactlyInAnyOrder("apiserver.crt", "apiserver.key");
    assertThat(openssl("x509", "-in", dir.resolve("apiserver.crt").toString(), "-noout", "-pubkey").out)
        .isEqualTo(openssl("pkey", "-in", dir.resolve("apiserver.key").toString(), "-pubout").out);
  }

  @Test
  void reissueNewKeyWithoutTheNameChangeOptionIsRefusedNamingTheField() {
    assertThatThrownBy(() -> options(dir, "reissue_new_key", true))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.field()).isEqualTo("reissue_new_key");
        });
  }

  private record Result(int exit, String out) {}

  private static Result openssl(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timeout: " + cmd);
    }
    return new Result(p.exitValue(), out);
  }
}
