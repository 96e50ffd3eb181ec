package io.kubeforge.worker.certinfo;

import io.kubeforge.worker.pki.CertCatalog;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.PhaseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * CertInfoPhase is {@code kubeadm certs check-expiration -o json} as data: the expiry of every
 * certificate kubeadm manages (leaves of the certificate list and the client certificates
 * embedded in admin.conf, super-admin.conf, controller-manager.conf and scheduler.conf, sorted by
 * name) and of the CAs. It only reads, so {@code changed} is always false.
 *
 * <p>kubeadm decides whether etcd is local from the cluster configuration; this call has none,
 * so etcd rows are listed only when {@code etcd/ca.crt} exists. A CA is externally managed when
 * its certificate exists and its key does not (kubeadm §1.10). A file that exists but cannot be
 * read gives a row with an {@code error} and a warning instead of failing the whole report.
 */
public final class CertInfoPhase {
  private static final int MAX_FILE = 1 << 20;
  private static final List<String> KUBECONFIGS =
      List.of("admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf");

  private final Clock clock;

  /** Creates the phase with the system clock. */
  public CertInfoPhase() {
    this(Clock.systemUTC());
  }

  /** Creates the phase with an injected clock. */
  public CertInfoPhase(Clock clock) {
    this.clock = clock;
  }

  /** Reports the expiry of the managed certificates and CAs; never writes. */
  public PhaseResult run(CertInfoOptions options) {
    Instant now = clock.instant();
    boolean etcd = Files.exists(options.certDir().resolve(CertCatalog.ETCD_CA.certFile()));
    List<String> warnings = new ArrayList<>();
    List<Map<String, Object>> certs = new ArrayList<>();
    List<Map<String, Object>> cas = new ArrayList<>();
    for (CertSpec spec : CertCatalog.all()) {
      boolean etcdTree = CertCatalog.ETCD_CA.name().equals(spec.caName()) || spec.equals(CertCatalog.ETCD_CA);
      if (etcdTree && !etcd) {
        continue;
      }
      Path path = options.certDir().resolve(spec.certFile());
      Row row = readPem(path);
      if (spec.isCa()) {
        cas.add(row.toMap(spec.name(), path, now, null, externallyManaged(options, spec.name()), warnings));
      } else {
        certs.add(row.toMap(spec.name(), path, now, spec.caName(), externallyManaged(options, spec.caName()),
            warnings));
      }
    }
    boolean caExternal = externallyManaged(options, CertCatalog.CA.name());
    for (String name : KUBECONFIGS) {
      Path path = options.kubeconfigDir().resolve(name);
      certs.add(readKubeconfig(path).toMap(name, path, now, CertCatalog.CA.name(), caExternal, warnings));
    }
    certs.sort(Comparator.comparing(m -> (String) m.get("name")));
    cas.sort(Comparator.comparing(m -> (String) m.get("name")));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("certificates", certs);
    result.put("certificate_authorities", cas);
    return new PhaseResult(false, warnings, result, null);
  }

  private static boolean externallyManaged(CertInfoOptions options, String caName) {
    CertSpec ca = CertCatalog.all().stream().filter(s -> s.name().equals(caName)).findFirst().orElseThrow();
    return Files.exists(options.certDir().resolve(ca.certFile()))
        && !Files.exists(options.certDir().resolve(ca.keyFile()));
  }

  /** Row is what was found for one file: its certificate, nothing, or an error. */
  private record Row(X509Certificate cert, boolean missing, String error) {
    Map<String, Object> toMap(String name, Path path, Instant now, String caName, boolean external,
                              List<String> warnings) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", name);
      m.put("path", path.toString());
      Instant notAfter = cert == null ? null : cert.getNotAfter().toInstant();
      m.put("expires", notAfter == null ? null
          : DateTimeFormatter.ISO_INSTANT.format(notAfter.truncatedTo(ChronoUnit.SECONDS)));
      m.put("residual_time", notAfter == null ? null : ShortHumanDuration.format(Duration.between(now, notAfter)));
      m.put("residual_seconds", notAfter == null ? null : Duration.between(now, notAfter).getSeconds());
      if (caName != null) {
        m.put("certificate_authority", caName);
      }
      m.put("externally_managed", external);
      m.put("missing", missing);
      if (error != null) {
        m.put("error", error);
        warnings.add("couldn't read " + name + " (" + path + "): " + error);
      }
      return m;
    }
  }

  /**
   * Reads a file for the report. Only a regular file is opened (a FIFO would block the read
   * forever); one that cannot be read (permissions, I/O) is an error of its row, not of the call.
   */
  private static Optional<byte[]> read(Path path) {
    try {
      if (!Files.exists(path)) {
        return Optional.empty();
      }
      if (!Files.isRegularFile(path)) {
        throw new IllegalArgumentException("not a regular file");
      }
      if (Files.size(path) > MAX_FILE) {
        throw new IllegalArgumentException("file is larger than " + MAX_FILE + " bytes");
      }
      return Optional.of(Files.readAllBytes(path));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IllegalArgumentException(e instanceof java.nio.file.AccessDeniedException
          ? "permission denied" : "couldn't read it: " + e.getClass().getSimpleName());
    }
  }


  private static Row readPem(Path path) {
    try {
      Optional<byte[]> bytes = read(path);
      if (bytes.isEmpty()) {
        return new Row(null, true, null);
      }
      return new Row(Pem.parseCertificates(bytes.get()).get(0), false, null);
    } catch (IllegalArgumentException e) {
      return new Row(null, false, e.getMessage());
    }
  }

  /**
   * Reads the client certificate of a kubeconfig's current-context user (else its first user):
   * {@code client-certificate-data}, or a {@code client-certificate} file relative to the
   * kubeconfig. Parsed with SnakeYAML's safe constructor and alias/size limits.
   */
  private static Row readKubeconfig(Path path) {
    try {
      Optional<byte[]> bytes = read(path);
      if (bytes.isEmpty()) {
        return new Row(null, true, null);
      }
      LoaderOptions limits = new LoaderOptions();
      limits.setMaxAliasesForCollections(20);
      limits.setAllowDuplicateKeys(false);
      limits.setCodePointLimit(MAX_FILE);
      Object doc = new Yaml(new SafeConstructor(limits)).load(new String(bytes.get(), StandardCharsets.UTF_8));
      Map<?, ?> user = currentUser(doc);
      Object data = user.get("client-certificate-data");
      if (data instanceof String s && !s.isBlank()) {
        return new Row(Pem.parseCertificates(Base64.getMimeDecoder().decode(s)).get(0), false, null);
      }
      Object file = user.get("client-certificate");
      if (file instanceof String f && !f.isBlank()) {
        Path certPath = path.getParent().resolve(f);
        Optional<byte[]> pem = read(certPath);
        if (pem.isEmpty()) {
          throw new IllegalArgumentException("client-certificate " + certPath + " does not exist");
        }
        return new Row(Pem.parseCertificates(pem.get()).get(0), false, null);
      }
      throw new IllegalArgumentException("the user has no client certificate");
    } catch (IllegalArgumentException | ClassCastException | org.yaml.snakeyaml.error.YAMLException e) {
      String msg = e instanceof org.yaml.snakeyaml.error.YAMLException ? "not valid YAML" : e.getMessage();
      return new Row(null, false, msg);
    }
  }

  private static Map<?, ?> currentUser(Object doc) {
    if (!(doc instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException("not a kubeconfig");
    }
    Object current = root.get("current-context");
    String userName = null;
    if (root.get("contexts") instanceof List<?> contexts) {
      for (Object c : contexts) {
        if (c instanceof Map<?, ?> m && m.get("name") != null && m.get("name").equals(current)
            && m.get("context") instanceof Map<?, ?> ctx && ctx.get("user") instanceof String u) {
          userName = u;
        }
      }
    }
    if (root.get("users") instanceof List<?> users) {
      for (Object u : users) {
        if (u instanceof Map<?, ?> m && (userName == null || userName.equals(m.get("name")))
            && m.get("user") instanceof Map<?, ?> user) {
          return user;
        }
      }
    }
    throw new IllegalArgumentException("no user found for the current context");
  }
}
