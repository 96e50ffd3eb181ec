package io.kubeforge.worker.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Openssl runs the real {@code openssl} binary for checks a test must not take from our own code. */
public final class Openssl {
  private Openssl() {}

  /** Result of one run: exit code and combined output. */
  public record Run(int exit, String output) {}

  /** Runs {@code openssl <args>} in {@code dir}. */
  public static Run run(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("openssl timed out");
      }
      return new Run(p.exitValue(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Verifies a PEM certificate against a PEM CA with {@code openssl verify} at a given epoch second. */
  public static Run verify(Path dir, String caPem, String certPem, long atEpochSecond) {
    try {
      Path ca = Files.writeString(Files.createTempFile(dir, "ca", ".pem"), caPem);
      Path cert = Files.writeString(Files.createTempFile(dir, "cert", ".pem"), certPem);
      return run(dir, "verify", "-attime", Long.toString(atEpochSecond), "-CAfile", ca.toString(), cert.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
