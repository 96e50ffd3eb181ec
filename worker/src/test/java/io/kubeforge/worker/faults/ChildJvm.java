package io.kubeforge.worker.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ChildJvm starts a class of the test class path in a new JVM, tuned for a short life (client
 * compiler, serial collector, small heap), and collects its exit code and output.
 */
final class ChildJvm {
  /** Outcome is a finished child. */
  record Outcome(int exit, String stdout, String stderr) {
    List<String> lines() {
      return stdout.lines().toList();
    }
  }

  private ChildJvm() {}

  static Process start(List<String> properties, Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx192m", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path")));
    cmd.addAll(properties);
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).start();
  }

  static Outcome await(Process p, long timeoutSeconds) throws Exception {
    var out = p.getInputStream();
    var err = p.getErrorStream();
    // drain both pipes while waiting so a chatty child never blocks
    var stdout = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(out));
    var stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(err));
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("child JVM did not finish within " + timeoutSeconds + " s");
    }
    return new Outcome(p.exitValue(), stdout.get(), stderr.get());
  }

  static Outcome run(List<String> properties, long timeoutSeconds, Class<?> main, String... args) throws Exception {
    return await(start(properties, main, args), timeoutSeconds);
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
