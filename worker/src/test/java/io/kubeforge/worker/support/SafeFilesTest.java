package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeFilesTest {
  @TempDir
  Path tmp;

  private SafeFiles files() {
    return SafeFiles.under(tmp.resolve("root"), "t");
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void writeCreatesParentsWithMode755AndTheFileWithItsMode() throws IOException {
    Path p = files().write("etcd/ca.key", "k".getBytes(StandardCharsets.US_ASCII), SafeFiles.PRIVATE);
    assertThat(p).isEqualTo(tmp.resolve("root/etcd/ca.key"));
    assertThat(mode(p)).isEqualTo("rw-------");
    assertThat(mode(p.getParent())).isEqualTo("rwxr-xr-x");
    assertThat(mode(tmp.resolve("root"))).isEqualTo("rwxr-xr-x");
    assertThat(Files.readString(p)).isEqualTo("k");
  }

  @Test
  void replacingLeavesNoTemporaryFileAndTakesTheNewMode() throws IOException {
    files().write("a.crt", new byte[] {1}, SafeFiles.PRIVATE);
    Path p = files().write("a.crt", new byte[] {2}, SafeFiles.PUBLIC);
    assertThat(Files.readAllBytes(p)).containsExactly(2);
    assertThat(mode(p)).isEqualTo("rw-r--r--");
    assertThat(tmp.resolve("root").toFile().list()).containsExactly("a.crt");
  }

  @Test
  void backupCopiesWithATimestampAndDoesNotOverwriteAnEarlierBackup() throws IOException {
    files().write("a.key", new byte[] {1}, SafeFiles.PRIVATE);
    Instant at = Instant.parse("2026-11-23T12:00:00Z");
    Path first = files().backup("a.key", at, SafeFiles.PRIVATE).orElseThrow();
    Path second = files().backup("a.key", at, SafeFiles.PRIVATE).orElseThrow();
    assertThat(first.getFileName().toString()).isEqualTo("a.key.20261123T120000Z.bak");
    assertThat(second.getFileName().toString()).isEqualTo("a.key.20261123T120000Z.1.bak");
    assertThat(mode(first)).isEqualTo("rw-------");
    assertThat(files().backup("missing.key", at, SafeFiles.PRIVATE)).isEmpty();
  }

  @Test
  void pathsLeavingTheRootAreRefused() {
    assertThatThrownBy(() -> files().write("../evil", new byte[0], SafeFiles.PUBLIC))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.outside_root"));
    assertThatThrownBy(() -> files().write("/etc/evil", new byte[0], SafeFiles.PUBLIC))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.outside_root"));
    assertThat(tmp.resolve("evil")).doesNotExist();
  }

  @Test
  void symlinksAnywhereBelowOrAtTheRootAreRefused() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(tmp.resolve("root"));
    Files.createSymbolicLink(tmp.resolve("root/etcd"), outside);
    Files.createSymbolicLink(tmp.resolve("root/sa.key"), outside.resolve("sa.key"));
    assertThatThrownBy(() -> files().write("etcd/ca.key", new byte[0], SafeFiles.PRIVATE))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.symlink_in_path"));
    assertThatThrownBy(() -> files().read("sa.key", 10))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.symlink_in_path"));
    assertThatThrownBy(() -> files().write("sa.key", new byte[0], SafeFiles.PRIVATE))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.symlink_in_path"));
    Files.createSymbolicLink(tmp.resolve("linked-root"), outside);
    assertThatThrownBy(() -> SafeFiles.under(tmp.resolve("linked-root"), "t").rootExists())
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.symlink_in_path"));
    assertThat(outside.toFile().list()).isEmpty();
  }

  @Test
  void readsAreBoundedAndMissingFilesAreEmpty() throws IOException {
    files().write("big", new byte[100], SafeFiles.PUBLIC);
    assertThat(files().read("big", 100)).get().satisfies(b -> assertThat(b).hasSize(100));
    assertThatThrownBy(() -> files().read("big", 99))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.file_too_large"));
    assertThat(files().read("nope", 10)).isEmpty();
  }

  @Test
  void aFolderTheWorkerMayNotWriteIntoIsAConflictNamingTheOptionNotAnInternalError() throws Exception {
    Path locked = Files.createDirectory(tmp.resolve("locked"));
    chattr("+i", locked); // immutable: refused even for root, as a read-only mount or missing permission would be
    try {
      assertThatThrownBy(() -> SafeFiles.under(locked.resolve("pki"), "pki", "cert_dir")
              .write("ca.crt", new byte[] {1}, SafeFiles.PUBLIC))
          .isInstanceOfSatisfying(WorkerException.class, e -> {
            assertThat(e.code()).isEqualTo("pki.permission_denied");
            assertThat(e.field()).isEqualTo("cert_dir");
            assertThat(e.status()).isEqualTo(409);
            assertThat(e.getMessage()).contains(locked.resolve("pki").toString());
          });
      assertThat(locked.toFile().list()).isEmpty();
    } finally {
      chattr("-i", locked);
    }
  }

  private static void chattr(String flag, Path p) throws Exception {
    Process proc = new ProcessBuilder("chattr", flag, p.toString()).inheritIO().start();
    assertThat(proc.waitFor()).as("chattr %s %s", flag, p).isZero();
  }
}
