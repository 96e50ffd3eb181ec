package io.kubeforge.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.api.Capabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile file system: a FIFO, a folder or a symbolic link at every target path, and symbolic
 * links at the ancestors of every target folder, are refused with a 409 naming the option, and
 * never block (every test is bounded; a FIFO that were opened would block forever).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostileFileSystemTest {
  @TempDir
  Path tmp;

  /** Every file a phase reads or writes, relative to the tree, with the phase and the option naming its folder. */
  static Stream<Arguments> targets() {
    List<Object[]> t = List.of(
        new Object[] {"pki", "pki/ca.key", "pki", "cert_dir"},
        new Object[] {"pki", "pki/ca.crt", "pki", "cert_dir"},
        new Object[] {"pki", "pki/apiserver.key", "pki", "cert_dir"},
        new Object[] {"pki", "pki/etcd/ca.crt", "pki", "cert_dir"},
        new Object[] {"pki", "pki/sa.key", "pki", "cert_dir"},
        new Object[] {"pki", "pki/sa.pub", "pki", "cert_dir"},
        new Object[] {"kubeconfigs", "pki/ca.crt", "kubeconfig", "cert_dir"},
        new Object[] {"kubeconfigs", "pki/ca.key", "kubeconfig", "cert_dir"},
        new Object[] {"kubeconfigs", "admin.conf", "kubeconfig", "kubeconfig_dir"},
        new Object[] {"kubeconfigs", "scheduler.conf", "kubeconfig", "kubeconfig_dir"},
        new Object[] {"static-pods", "manifests/kube-apiserver.yaml", "manifests", "manifest_dir"},
        new Object[] {"static-pods", "manifests/etcd.yaml", "manifests", "manifest_dir"},
        new Object[] {"encryption-config", "encryption/encryption-config.yaml", "encryption", "encryption_config_path"},
        new Object[] {"kubelet-config", "kubelet/config.yaml", "kubelet", "kubelet_config_path"},
        new Object[] {"kubelet-config", "kubelet/kubeadm-flags.env", "kubelet", "kubelet_config_path"});
    return Stream.of("fifo", "folder", "symlink").flatMap(kind -> t.stream().map(a -> Arguments.of(kind, a[0], a[1], a[2], a[3])));
  }

  private Map<String, Object> call(String phase, Path base) {
    return TreeDriver.call(Capabilities.all().get(phase), phase, TreeDriver.body(base, false, phase));
  }

  private static void mkfifo(Path p) throws Exception {
    Process proc = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
    assertThat(proc.waitFor()).isZero();
  }

  @ParameterizedTest(name = "a {0} at {2} is refused by {1}")
  @MethodSource("targets")
  void aNonRegularFileAtATargetIsRefusedWithoutOpeningIt(String kind, String phase, String target, String area,
                                                         String field) throws Exception {
    Path base = tmp.resolve("tree");
    if (!phase.equals("pki")) {
      assertThat(call("pki", base)).doesNotContainKey("code");
    }
    Path p = base.resolve(target);
    Files.createDirectories(p.getParent());
    Files.deleteIfExists(p);
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    switch (kind) {
      case "fifo" -> mkfifo(p);
      case "folder" -> Files.createDirectory(p);
      default -> Files.createSymbolicLink(p, outside.resolve("x"));
    }
    Map<String, Object> answer = call(phase, base);
    assertThat(answer.get("status")).as("%s", answer).isEqualTo(409);
    assertThat(answer.get("code")).isEqualTo(area + (kind.equals("symlink") ? ".symlink_in_path" : ".not_a_regular_file"));
    assertThat(String.valueOf(answer.get("message"))).contains(p.toString());
    assertThat(outside.toFile().list()).isEmpty();
    assertThat(TreeChecks.files(base).stream().filter(TreeChecks::temporary)).isEmpty();
  }

  @Test
  @DisplayName("four FIFOs at key paths refuse four calls at once and leave the worker answering")
  void fifosAtKeyPathsNeverBlockAWorkerThread() throws Exception {
    for (int i = 0; i < 4; i++) {
      Path base = tmp.resolve("tree-" + i);
      Files.createDirectories(base.resolve("pki"));
      mkfifo(base.resolve("pki/ca.key"));
      assertThat(call("pki", base).get("code")).isEqualTo("pki.not_a_regular_file");
    }
    assertThat(call("pki", tmp.resolve("healthy"))).doesNotContainKey("code");
  }

  static Stream<Arguments> linkedAncestors() {
    return Stream.of(
        Arguments.of("pki", "cert_dir", "pki"),
        Arguments.of("kubeconfigs", "kubeconfig_dir", "kubeconfig"),
        Arguments.of("static-pods", "manifest_dir", "manifests"),
        Arguments.of("encryption-config", "encryption_config_path", "encryption"),
        Arguments.of("kubelet-config", "kubelet_config_path", "kubelet"));
  }

  @ParameterizedTest(name = "{1} below a symbolic link is refused by {0}")
  @MethodSource("linkedAncestors")
  void aSymbolicLinkAboveATargetFolderIsRefused(String phase, String option, String area) throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Map<String, Object> body = TreeDriver.body(real, false, phase);
    assertThat(TreeDriver.call(Capabilities.all().get("pki"), "pki", TreeDriver.body(real, false, "pki")))
        .doesNotContainKey("code");
    Path linkParent = Files.createSymbolicLink(tmp.resolve("link"), Files.createDirectories(tmp.resolve("elsewhere")));
    Path named = linkParent.resolve("inner").resolve(Path.of(String.valueOf(body.get(option))).getFileName());
    body.put(option, named.toString());
    Map<String, Object> answer = TreeDriver.call(Capabilities.all().get(phase), phase, body);
    assertThat(answer.get("status")).as("%s", answer).isEqualTo(409);
    assertThat(answer.get("code")).isEqualTo(area + ".symlink_in_path");
    assertThat(tmp.resolve("elsewhere").toFile().list()).isEmpty();
  }

  @Test
  @DisplayName("a symbolic link at <kubeconfig_dir>/tmp is refused before a manifest is replaced")
  void aLinkedBackupFolderIsRefused() throws IOException {
    Path base = tmp.resolve("tree");
    assertThat(call("static-pods", base)).doesNotContainKey("code");
    byte[] before = Files.readAllBytes(base.resolve("manifests/kube-apiserver.yaml"));
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(base.resolve("tmp"), elsewhere);
    Map<String, Object> answer = TreeDriver.call(Capabilities.all().get("static-pods"), "static-pods",
        TreeDriver.body(base, true, "static-pods"));
    assertThat(answer.get("code")).as("%s", answer).isEqualTo("manifests.symlink_in_path");
    assertThat(elsewhere.toFile().list()).isEmpty();
    assertThat(Files.readAllBytes(base.resolve("manifests/kube-apiserver.yaml"))).isEqualTo(before);
  }
}
