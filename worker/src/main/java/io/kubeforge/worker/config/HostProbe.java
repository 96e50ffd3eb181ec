package io.kubeforge.worker.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * HostProbe answers the few questions kubeadm asks the host while rendering files: does a path
 * exist (optional CA-certificate directories, {@code ca.key} for external-CA mode, systemd-resolved's
 * {@code resolv.conf}) and which {@code *_proxy} variables are set. It is injected so that
 * rendering is a pure function in tests.
 */
public interface HostProbe {
  /** Tells whether a path exists on the host. */
  boolean exists(String path);

  /** Returns the process environment (only {@code *_proxy} variables are used). */
  Map<String, String> environment();

  /** Returns the host's name, lower-cased, as Go's {@code os.Hostname} via kubeadm's {@code GetHostname}. */
  default String hostname() {
    return Hostname.current();
  }

  /** Probes the real host and environment. */
  HostProbe SYSTEM = new HostProbe() {
    @Override
    public boolean exists(String path) {
      return Files.exists(Path.of(path));
    }

    @Override
    public Map<String, String> environment() {
      return new TreeMap<>(System.getenv());
    }
  };

  /** Returns a probe for tests: {@code exists} answers with the predicate, the environment is given, the host is {@code fixture-host}. */
  static HostProbe fixed(Predicate<String> exists, Map<String, String> env) {
    return fixed(exists, env, "fixture-host");
  }

  /** Returns a probe for tests with a given host name. */
  static HostProbe fixed(Predicate<String> exists, Map<String, String> env, String hostname) {
    Map<String, String> copy = Map.copyOf(env);
    return new HostProbe() {
      @Override
      public boolean exists(String path) {
        return exists.test(path);
      }

      @Override
      public Map<String, String> environment() {
        return copy;
      }

      @Override
      public String hostname() {
        return hostname;
      }
    };
  }
}
