package io.kubeforge.worker.kube;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kubeforge.worker.fuzz.Typed;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes {@link Kubeconfig#read} with whole kubeconfig files (seeds: the kubeconfigs kubeadm
 * writes, with client certificates, tokens and file references): it may only fail with a 4xx
 * naming the {@code kubeconfig} field.
 */
class KubeconfigFuzzTest {
  private static Path dir;
  private static Path file;

  @BeforeAll
  static void folder() throws IOException {
    dir = Files.createTempDirectory("kubeconfig-fuzz");
    file = dir.resolve("admin.conf");
  }

  @AfterAll
  static void clean() throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(dir);
  }

  @FuzzTest(maxDuration = "20s")
  void kubeconfigFilesFailOnlyWithBadInput(byte[] content) {
    try {
      Files.write(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Typed.onlyBadInput(() -> Kubeconfig.read(file));
  }
}
