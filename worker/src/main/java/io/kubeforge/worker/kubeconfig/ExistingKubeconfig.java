package io.kubeforge.worker.kubeconfig;

import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.NamedFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * ExistingKubeconfig checks a kubeconfig already on disk the way kubeadm's
 * {@code validateKubeConfig} does: it must parse, its current context and that context's cluster
 * must exist, the first certificate of the cluster's CA data (whitespace-trimmed; or the file
 * named by {@code certificate-authority}) must be one of the expected CA certificates, and the
 * server URL is compared. Client credentials are not validated, as in kubeadm.
 */
final class ExistingKubeconfig {
  private ExistingKubeconfig() {}

  /** How {@link #mismatch} starts when the server URL is the only difference. */
  static final String SERVER_MISMATCH = "the existing file has an unexpected API server URL: expected ";

  /**
   * Returns the file with only its current cluster's server URL changed to {@code newServer},
   * byte for byte otherwise, or null when that cannot be done safely (the old URL is not on
   * exactly one {@code server:} line). Credentials, CA data and anything a user added stay.
   */
  static byte[] withServer(byte[] content, String newServer) {
    Object parsed = SafeYaml.load(new String(content, StandardCharsets.UTF_8), "kubeconfig");
    if (!(parsed instanceof Map<?, ?> cfg)) {
      return null;
    }
    Map<?, ?> context = named(cfg.get("contexts"), cfg.get("current-context"), "context");
    Map<?, ?> cluster = context == null ? null : named(cfg.get("clusters"), context.get("cluster"), "cluster");
    if (cluster == null || !(cluster.get("server") instanceof String old) || newServer.contains("\n")) {
      return null;
    }
    java.util.regex.Pattern line = java.util.regex.Pattern.compile("(?m)^([ \\t]*server:[ \\t]*)(\\S+)([ \\t]*)$");
    java.util.regex.Matcher m = line.matcher(new String(content, StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    int hits = 0;
    while (m.find()) {
      String value = m.group(2);
      if (value.equals(old) || value.equals("\"" + old + "\"") || value.equals("'" + old + "'")) {
        hits++;
        m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(m.group(1) + newServer + m.group(3)));
      }
    }
    m.appendTail(out);
    return hits == 1 ? out.toString().getBytes(StandardCharsets.UTF_8) : null;
  }

  /** Returns null when the file is equivalent, otherwise the reason it is not. */
  static String mismatch(byte[] content, X509Certificate expectedCa, String expectedServer) {
    Object parsed;
    try {
      parsed = SafeYaml.load(new String(content, StandardCharsets.UTF_8), "kubeconfig");
    } catch (WorkerException e) {
      return "the existing file is not valid YAML";
    }
    if (!(parsed instanceof Map<?, ?> cfg)) {
      return "the existing file is not a kubeconfig";
    }
    Object current = cfg.get("current-context");
    Map<?, ?> context = named(cfg.get("contexts"), current, "context");
    if (context == null) {
      return "the existing file has no current context";
    }
    Map<?, ?> cluster = named(cfg.get("clusters"), context.get("cluster"), "cluster");
    if (cluster == null) {
      return "the existing file's current context names a cluster it does not hold";
    }
    byte[] caPem = null;
    if (cluster.get("certificate-authority-data") instanceof String data && !data.isBlank()) {
      try {
        caPem = Base64.getMimeDecoder().decode(data.trim());
      } catch (IllegalArgumentException e) {
        return "the existing file's certificate-authority-data is not base64";
      }
    } else if (cluster.get("certificate-authority") instanceof String file && !file.isBlank()) {
      try {
        caPem = NamedFiles.read(Path.of(file));
      } catch (IllegalArgumentException e) {
        // also a path that is not one (InvalidPathException)
        return "the existing file's certificate-authority " + file + " can't be read";
      }
    }
    if (caPem == null) {
      return "the existing file holds no CA certificate";
    }
    List<X509Certificate> certs;
    try {
      certs = Pem.parseCertificates(new String(caPem, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return "the existing file contains an invalid CA cert";
    }
    if (certs.isEmpty() || !certs.get(0).equals(expectedCa)) {
      return "the existing file does not contain a trusted CA in its current context's cluster (wrong CA)";
    }
    Object server = cluster.get("server");
    if (!expectedServer.equals(server)) {
      return SERVER_MISMATCH + expectedServer + ", got " + server;
    }
    return null;
  }

  private static Map<?, ?> named(Object list, Object name, String field) {
    if (!(list instanceof List<?> items) || name == null) {
      return null;
    }
    for (Object item : items) {
      if (item instanceof Map<?, ?> m && name.equals(m.get("name")) && m.get(field) instanceof Map<?, ?> inner) {
        return inner;
      }
    }
    return null;
  }
}
