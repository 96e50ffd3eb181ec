package io.kubeforge.worker.carotate;

import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * KubeconfigFile is a kubeconfig as text plus the two values a CA rotation changes: every
 * cluster's {@code certificate-authority-data} and the current user's
 * {@code client-certificate-data}. Changes replace those values in the text and leave every
 * other byte as it was.
 */
record KubeconfigFile(String text, Path path, List<String> caData, String clientData) {
  private static final String INVALID = "ca_rotate.invalid_kubeconfig";

  /** Reads {@code name} from {@code dir}; empty when absent. */
  static Optional<KubeconfigFile> read(SafeFiles dir, String name, int maxBytes) {
    return dir.read(name, maxBytes).map(b -> parse(new String(b, StandardCharsets.UTF_8), dir.resolve(name)));
  }

  /** Parses a kubeconfig; anything else is a 409 naming the file. */
  static KubeconfigFile parse(String text, Path path) {
    Object root;
    try {
      root = SafeYaml.load(text, "kubeconfig");
    } catch (WorkerException e) {
      throw bad(path, "is not YAML: " + e.getMessage());
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw bad(path, "is not a kubeconfig (not a YAML mapping)");
    }
    List<String> ca = new ArrayList<>();
    if (map.get("clusters") instanceof List<?> clusters) {
      for (Object c : clusters) {
        if (c instanceof Map<?, ?> entry && entry.get("cluster") instanceof Map<?, ?> cluster
            && cluster.get("certificate-authority-data") instanceof String s && !s.isEmpty()) {
          ca.add(s);
        }
      }
    }
    String user = null;
    Object current = map.get("current-context");
    if (map.get("contexts") instanceof List<?> contexts) {
      for (Object c : contexts) {
        if (c instanceof Map<?, ?> entry && entry.get("name") != null && entry.get("name").equals(current)
            && entry.get("context") instanceof Map<?, ?> ctx && ctx.get("user") instanceof String u) {
          user = u;
        }
      }
    }
    String client = null;
    if (user != null && map.get("users") instanceof List<?> users) {
      for (Object u : users) {
        if (u instanceof Map<?, ?> entry && user.equals(entry.get("name")) && entry.get("user") instanceof Map<?, ?> cred
            && cred.get("client-certificate-data") instanceof String s && !s.isEmpty()) {
          client = s;
        }
      }
    }
    return new KubeconfigFile(text, path, List.copyOf(ca), client);
  }

  /** The current user's embedded client certificate, if any. */
  Optional<X509Certificate> clientCert() {
    if (clientData == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pem.parseCertificates(Base64.getMimeDecoder().decode(clientData)).get(0));
    } catch (IllegalArgumentException e) {
      throw bad(path, "has a client-certificate-data that is not a PEM certificate");
    }
  }

  /** The text with every cluster's {@code certificate-authority-data} set to {@code data}. */
  String withCaData(String data) {
    String out = text;
    for (String old : caData) {
      out = replace(out, old, data, path);
    }
    return out;
  }

  /** Replaces a value that must occur in {@code text} as one plain scalar. */
  static String replace(String text, String old, String value, Path path) {
    if (old.equals(value)) {
      return text;
    }
    int at = text.indexOf(old);
    if (at < 0) {
      throw bad(path, "holds a base64 value split over lines; rewrite it with one value per line");
    }
    return text.replace(old, value);
  }

  private static WorkerException bad(Path path, String why) {
    return WorkerException.conflict(INVALID, path + " " + why + "; nothing was written");
  }
}
