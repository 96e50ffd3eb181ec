package io.kubeforge.worker.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Hostname reads the host's name without DNS, lower-cased as kubeadm's {@code GetHostname}. */
final class Hostname {
  private Hostname() {}

  static String current() {
    for (String p : new String[] {"/proc/sys/kernel/hostname", "/etc/hostname"}) {
      try {
        String s = Files.readString(Path.of(p)).trim();
        if (!s.isEmpty()) {
          return s.toLowerCase(Locale.ROOT);
        }
      } catch (IOException | RuntimeException ignored) {
        // try the next source
      }
    }
    String env = System.getenv("HOSTNAME");
    return env == null || env.isBlank() ? "localhost" : env.trim().toLowerCase(Locale.ROOT);
  }
}
