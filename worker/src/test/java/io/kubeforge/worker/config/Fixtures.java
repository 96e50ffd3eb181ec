package io.kubeforge.worker.config;

import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fixtures gives the tests of the rendering packages their fixed inputs: the two reference
 * clusters (single-stack defaults; dual-stack with a control-plane endpoint and extra SANs), a
 * fixed clock, fixture client keys handed out in order and a test CA.
 */
public final class Fixtures {
  /** 2026-11-23T12:00:00Z. */
  public static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
  /** A clock stopped at {@link #NOW}. */
  public static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  /** A host where no optional directory exists and no proxy variable is set. */
  public static final HostProbe BARE_HOST = HostProbe.fixed(p -> false, Map.of());

  private Fixtures() {}

  /** Reads a test resource as text. */
  public static String resource(String name) {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  /** Reads a test resource. */
  public static byte[] bytes(String name) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Request of the single-stack reference cluster: options only, kubeadm defaults for the rest. */
  public static Map<String, Object> singleStack() {
    Map<String, Object> body = new HashMap<>();
    body.put("node_name", "cp-1");
    body.put("advertise_address", "192.168.10.11");
    return body;
  }

  /**
   * Request of the dual-stack reference cluster: kubeadm v1beta4 YAML (IPv6 advertise address,
   * 10.96.0.0/12,fd00:10:96::/112, control-plane endpoint with its own port, extra SANs, extra
   * args, volumes and envs, a KubeletConfiguration) plus an EncryptionConfiguration path option.
   */
  public static Map<String, Object> dualStack() {
    Map<String, Object> body = new HashMap<>();
    body.put("kubeadm_config", resource("config/kubeadm/dual-stack-v1beta4.yaml"));
    body.put("encryption_config_path", "/etc/kubernetes/encryption/encryption-config.yaml");
    return body;
  }

  /** Returns the request of a reference cluster by golden directory name. */
  public static Map<String, Object> cluster(String name) {
    return name.equals("single-stack") ? singleStack() : dualStack();
  }

  /** Copies a request and points its directories below {@code root}. */
  public static Map<String, Object> under(Map<String, Object> body, Path root) {
    Map<String, Object> b = new HashMap<>(body);
    b.put("cert_dir", root.resolve("pki").toString());
    b.put("kubeconfig_dir", root.resolve("etc").toString());
    b.put("manifest_dir", root.resolve("etc/manifests").toString());
    b.put("kubelet_config_path", root.resolve("kubelet/config.yaml").toString());
    if (b.containsKey("encryption_config_path")) {
      b.put("encryption_config_path", root.resolve("etc/encryption/encryption-config.yaml").toString());
    }
    return b;
  }

  /** Copies the test CA (or the other test CA) into {@code certDir}. */
  public static void installCa(Path certDir, boolean other) {
    try {
      Files.createDirectories(certDir);
      String dir = other ? "config/other-pki/" : "config/pki/";
      Files.write(certDir.resolve("ca.crt"), bytes(dir + "ca.crt"));
      Files.write(certDir.resolve("ca.key"), bytes(dir + "ca.key"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns a key source that hands out {@code config/keys/client-N.key} in order (RSA-2048 only). */
  public static KeyPairs.KeySource clientKeys() {
    AtomicInteger next = new AtomicInteger(1);
    return algorithm -> {
      if (algorithm != KeyAlgorithm.RSA_2048) {
        return KeyPairs.generate(algorithm);
      }
      int n = next.getAndIncrement();
      PrivateKey key = Pem.parsePrivateKey(bytes("config/keys/client-" + ((n - 1) % 6 + 1) + ".key"));
      return new KeyPair(KeyPairs.publicKeyOf(key), key);
    };
  }
}
