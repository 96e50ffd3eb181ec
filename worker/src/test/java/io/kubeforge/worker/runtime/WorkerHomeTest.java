package io.kubeforge.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerHomeTest {
  @TempDir Path tmp;

  @Test
  void theHomeIsChosenByFlagThenEnvironmentThenUser() {
    assertThat(WorkerHome.resolve("/x", Map.of("KUBEFORGE_HOME", "/y"), "root", "/root")).isEqualTo(Path.of("/x"));
    assertThat(WorkerHome.resolve(null, Map.of("KUBEFORGE_HOME", "/y"), "root", "/root")).isEqualTo(Path.of("/y"));
    assertThat(WorkerHome.resolve(null, Map.of(), "root", "/root")).isEqualTo(Path.of("/var/lib/kubeforge"));
    assertThat(WorkerHome.resolve(null, Map.of(), "ann", "/home/ann")).isEqualTo(Path.of("/home/ann/.kubeforge"));
  }

  @Test
  void aNewHomeIsPrivateAndItsTokenIsOwnerOnlyAndStable() throws IOException {
    Path dir = tmp.resolve("home");
    WorkerHome home = WorkerHome.open(dir);
    try {
      String token = home.token();
      assertThat(token).matches("[0-9a-f]{64}");
      assertThat(home.token()).isEqualTo(token);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("token")))).isEqualTo("rw-------");
    } finally {
      home.close();
    }
  }

  @Test
  void aTokenReadableByOthersIsTightenedTo0600() throws IOException {
    Path dir = tmp.resolve("home");
    Files.createDirectory(dir);
    Files.writeString(dir.resolve("token"), "a".repeat(64));
    Files.setPosixFilePermissions(dir.resolve("token"), PosixFilePermissions.fromString("rw-r--r--"));
    WorkerHome home = WorkerHome.open(dir);
    try {
      assertThat(home.token()).isEqualTo("a".repeat(64));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("token")))).isEqualTo("rw-------");
    } finally {
      home.close();
    }
  }

  @Test
  void aSecondWorkerOnTheSameHomeIsRefused() throws IOException {
    Path dir = tmp.resolve("home");
    WorkerHome first = WorkerHome.open(dir);
    try {
      // FileChannel locks are per JVM; the second open sees an overlapping lock and fails.
      assertThatThrownBy(() -> WorkerHome.open(dir)).hasMessageContaining("another worker");
    } finally {
      first.close();
    }
  }

  @Test
  void theEndpointFileIsPublishedOwnerOnlyAndRemovedOnClose() throws IOException {
    Path dir = tmp.resolve("home");
    WorkerHome home = WorkerHome.open(dir);
    home.publishEndpoint("http://127.0.0.1:1234", 42);
    Path endpoint = dir.resolve("endpoint");
    assertThat(Files.readString(endpoint)).contains("\"url\":\"http://127.0.0.1:1234\"").contains("\"pid\":42");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(endpoint))).isEqualTo("rw-------");
    home.close();
    assertThat(endpoint).doesNotExist();
  }

  @Test
  void aSymlinkedHomeIsRefused() throws IOException {
    Path real = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThatThrownBy(() -> WorkerHome.open(link)).hasMessageContaining("symbolic link");
  }
}
