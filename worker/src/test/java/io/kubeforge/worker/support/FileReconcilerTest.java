package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileReconcilerTest {
  private static final Instant AT = Instant.parse("2026-11-23T12:00:00Z");

  @TempDir
  Path tmp;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void aUnitIsCommittedWholeAndTheOldFilesAreBackedUp() throws Exception {
    SafeFiles t = SafeFiles.under(tmp.resolve("pki"), "t", "cert_dir");
    try (FileReconciler r = FileReconciler.open("t", false, t)) {
      r.commit(t, List.of(new FileReconciler.Desired("etcd/ca.key", b("k1"), SafeFiles.PRIVATE, "etcd/ca"),
          new FileReconciler.Desired("etcd/ca.crt", b("c1"), SafeFiles.PUBLIC, "etcd/ca")), true, AT);
    }
    try (FileReconciler r = FileReconciler.open("t", false, t)) {
      List<Path> backups = r.commit(t, List.of(new FileReconciler.Desired("etcd/ca.key", b("k2"), SafeFiles.PRIVATE, "etcd/ca"),
          new FileReconciler.Desired("etcd/ca.crt", b("c2"), SafeFiles.PUBLIC, "etcd/ca")), true, AT);
      assertThat(backups).hasSize(2);
      assertThat(r.healed()).isEmpty();
    }
    assertThat(Files.readString(tmp.resolve("pki/etcd/ca.key"))).isEqualTo("k2");
    assertThat(Files.readString(tmp.resolve("pki/etcd/ca.key.20261123T120000Z.bak"))).isEqualTo("k1");
    try (var s = Files.list(tmp.resolve("pki"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("etcd");
    }
  }

  @Test
  void anInterruptedCommitIsRolledForwardFromItsJournalAndStaleTempFilesAreRemoved() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("pki"));
    Files.writeString(root.resolve("ca.key"), "new key");
    // the state after a crash between the two renames of a unit: key renamed, cert still staged
    Files.writeString(root.resolve(SafeFiles.TEMP_PREFIX + "ca.crt-0123456789ab"), "new cert");
    Files.writeString(root.resolve("ca.crt"), "old cert");
    Files.writeString(root.resolve(FileReconciler.JOURNAL_PREFIX + "1"),
        SafeFiles.TEMP_PREFIX + "ca.key-aaaaaaaaaaaa\tca.key\n" + SafeFiles.TEMP_PREFIX + "ca.crt-0123456789ab\tca.crt\n");
    Files.writeString(root.resolve(SafeFiles.TEMP_PREFIX + "front-proxy-ca.key-bbbbbbbbbbbb"), "half written");
    SafeFiles t = SafeFiles.under(root, "t", "cert_dir");
    try (FileReconciler r = FileReconciler.open("t", false, t)) {
      assertThat(r.healed()).hasSize(2);
      assertThat(r.healed().get(0)).contains("completed an interrupted write of ca.crt");
      PhaseResult healed = r.finish(new PhaseResult(false, List.of(), Map.of(), null));
      assertThat(healed.changed()).isTrue();
      assertThat(healed.warnings()).hasSize(2);
    }
    assertThat(Files.readString(root.resolve("ca.crt"))).isEqualTo("new cert");
    try (var s = Files.list(root)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ca.key", "ca.crt");
    }
  }

  @Test
  void aDryRunHealsNothingAndWritesNothing() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("pki"));
    Files.writeString(root.resolve(SafeFiles.TEMP_PREFIX + "x-0123456789ab"), "stale");
    SafeFiles t = SafeFiles.under(root, "t", "cert_dir");
    try (FileReconciler r = FileReconciler.open("t", true, t)) {
      assertThat(r.commit(t, List.of(new FileReconciler.Desired("a", b("a"), SafeFiles.PUBLIC)), true, AT)).isEmpty();
      assertThat(r.healed()).isEmpty();
    }
    try (var s = Files.list(root)) {
      assertThat(s).hasSize(1);
    }
  }

  @Test
  void aRootStagedOutsideNeverHoldsATemporaryFileAndItsStagingFolderIsRemoved() throws Exception {
    SafeFiles t = SafeFiles.stagedOutside(tmp.resolve("manifests"), "t", "manifest_dir", SafeFiles.PRIVATE_DIRECTORY);
    Path staged = t.stage("etcd.yaml", b("x"), SafeFiles.PRIVATE);
    assertThat(staged.getParent()).isEqualTo(tmp.resolve(SafeFiles.STAGING_PREFIX + "manifests"));
    try (FileReconciler r = FileReconciler.open("t", false, t)) {
      assertThat(r.healed()).singleElement().asString().contains(staged.toString());
      r.commit(t, List.of(new FileReconciler.Desired("etcd.yaml", b("y"), SafeFiles.PRIVATE)), true, AT);
    }
    assertThat(tmp.resolve(SafeFiles.STAGING_PREFIX + "manifests")).doesNotExist();
    try (var s = Files.list(tmp.resolve("manifests"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("etcd.yaml");
    }
  }
}
