package io.kubeforge.worker.certinfo;

import io.kubeforge.worker.pki.CertCatalog;
import io.kubeforge.worker.pki.CertChecks;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.GoDuration;
import io.kubeforge.worker.support.PhaseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * CertInfoPhase is {@code kubeadm certs check-expiration -o json} as data, and more: the expiry
 * of every certificate kubeadm manages (leaves of the certificate list and the client
 * certificates embedded in admin.conf, super-admin.conf, controller-manager.conf and
 * scheduler.conf, sorted by name) and of the CAs; then the kubelet's certificates (kubelet.conf's
 * client certificate, {@code kubelet-client-current.pem} and the serving certificate) and the CA
 * bundle every kubeconfig trusts. Per item: expiry, residual time, subject and issuer, whether it
 * verifies against the CA on disk, whether it is externally managed. Items that expire within
 * {@code warn_before} (or have expired) are listed again in {@code expiring}. It only reads, so
 * {@code changed} is always false.
 *
 * <p>kubeadm decides whether etcd is local from the cluster configuration; this call has none,
 * so etcd rows are listed only when {@code etcd/ca.crt} exists. A CA is externally managed when
 * its certificate exists and its key does not (kubeadm §1.10). A file that exists but cannot be
 * read gives a row with an {@code error} and a warning instead of failing the whole report; only
 * regular files are opened.
 */
public final class CertInfoPhase {
  /** Group of kubeadm's managed leaves and kubeconfig client certificates. */
  public static final String CERTIFICATES = "certificates";
  /** Group of the CAs. */
  public static final String CERTIFICATE_AUTHORITIES = "certificate_authorities";
  /** Group of the kubelet's certificates. */
  public static final String KUBELET = "kubelet_certificates";
  /** Group of the CA certificates the kubeconfigs trust. */
  public static final String TRUST_BUNDLES = "trust_bundles";

  private static final int MAX_FILE = 1 << 20;
  private static final List<String> KUBECONFIGS =
      List.of("admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf");
  private static final String KUBELET_CONF = "kubelet.conf";
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

  private final Clock clock;

  /** Creates the phase with the system clock. */
  public CertInfoPhase() {
    this(Clock.systemUTC());
  }

  /** Creates the phase with an injected clock. */
  public CertInfoPhase(Clock clock) {
    this.clock = clock;
  }

  /**
   * Item is one certificate found (or looked for): where, what, and what was concluded.
   *
   * @param group one of {@link #CERTIFICATES}, {@link #CERTIFICATE_AUTHORITIES}, {@link #KUBELET},
   *     {@link #TRUST_BUNDLES}
   * @param certificatePath the file the certificate was read from when it is not {@code path}
   *     (a kubeconfig's {@code client-certificate}, a trust bundle's {@code certificate-authority})
   * @param caName the CA that should have signed it, or null (a CA, a self-signed certificate)
   * @param verified true or false when there was something on disk to verify against, else null
   * @param trustsCaOnDisk for a kubeconfig, whether its CA bundle holds the CA on disk; else null
   */
  public record Item(String group, String name, Path path, Path certificatePath, X509Certificate cert,
                     boolean missing, String error, String caName, boolean externallyManaged, Boolean verified,
                     String verification, Boolean trustsCaOnDisk) {
    /** The end of validity, or null when nothing was read. */
    public Instant notAfter() {
      return cert == null ? null : cert.getNotAfter().toInstant();
    }
  }

  /** Report is the items of one run, its warnings, and the clock reading they are measured from. */
  public record Report(List<Item> items, List<String> warnings, Instant now, Duration warnBefore) {
    /** The items of one group, in report order. */
    public List<Item> group(String group) {
      return items.stream().filter(i -> i.group().equals(group)).toList();
    }

    /** Whole seconds from now to {@code notAfter}, truncated toward zero as kubeadm does. */
    public long residualSeconds(Item item) {
      return Duration.between(now, item.notAfter()).toMillis() / 1000;
    }

    /** The items read that expire within {@code warnBefore} or have expired, soonest first. */
    public List<Item> expiring() {
      return items.stream()
          .filter(i -> i.cert() != null && residualSeconds(i) <= warnBefore.getSeconds())
          .sorted(Comparator.comparingLong(this::residualSeconds).thenComparing(Item::name))
          .toList();
    }
  }

  /** Reports the expiry of every certificate, CA, kubelet certificate and trust bundle; never writes. */
  public PhaseResult run(CertInfoOptions options) {
    Report report = report(options);
    Map<String, Object> result = new LinkedHashMap<>();
    for (String group : List.of(CERTIFICATES, CERTIFICATE_AUTHORITIES, KUBELET, TRUST_BUNDLES)) {
      result.put(group, report.group(group).stream().map(i -> toMap(i, report, false)).toList());
    }
    result.put("warn_before", GoDuration.format(report.warnBefore()));
    result.put("expiring", report.expiring().stream().map(i -> toMap(i, report, true)).toList());
    return new PhaseResult(false, report.warnings(), result, null);
  }

  /** Reads everything the report covers. */
  public Report report(CertInfoOptions options) {
    return new Run(options, clock.instant()).report();
  }

  private static Map<String, Object> toMap(Item i, Report report, boolean withGroup) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", i.name());
    if (withGroup) {
      m.put("group", i.group());
    }
    m.put("path", i.path().toString());
    if (i.certificatePath() != null) {
      m.put("certificate_path", i.certificatePath().toString());
    }
    Instant notAfter = i.notAfter();
    m.put("expires", notAfter == null ? null : RFC3339.format(notAfter.truncatedTo(ChronoUnit.SECONDS)));
    Long residual = notAfter == null ? null : report.residualSeconds(i);
    m.put("residual_time", residual == null ? null : HumanDuration.format(Duration.ofSeconds(residual)));
    m.put("residual_seconds", residual);
    if (i.caName() != null) {
      m.put("certificate_authority", i.caName());
    }
    m.put("externally_managed", i.externallyManaged());
    m.put("missing", i.missing());
    X509Certificate c = i.cert();
    m.put("subject", c == null ? null : c.getSubjectX500Principal().getName(X500Principal.RFC2253));
    m.put("issuer", c == null ? null : c.getIssuerX500Principal().getName(X500Principal.RFC2253));
    m.put("not_before", c == null ? null
        : RFC3339.format(c.getNotBefore().toInstant().truncatedTo(ChronoUnit.SECONDS)));
    m.put("verified", i.verified());
    m.put("verification", i.verification());
    if (i.trustsCaOnDisk() != null) {
      m.put("trusts_ca_on_disk", i.trustsCaOnDisk());
    }
    if (i.error() != null) {
      m.put("error", i.error());
    }
    return m;
  }

  /** Run is one report: the options, the clock reading, and the CA files read once each. */
  private static final class Run {
    private final CertInfoOptions options;
    private final Instant now;
    private final List<Item> items = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final Map<String, Loaded> cas = new HashMap<>();

    Run(CertInfoOptions options, Instant now) {
      this.options = options;
      this.now = now;
    }

    Report report() {
      boolean etcd = Files.exists(options.certDir().resolve(CertCatalog.ETCD_CA.certFile()));
      List<Item> leaves = new ArrayList<>();
      List<Item> authorities = new ArrayList<>();
      for (CertSpec spec : CertCatalog.all()) {
        boolean etcdTree = CertCatalog.ETCD_CA.name().equals(spec.caName()) || spec.equals(CertCatalog.ETCD_CA);
        if (etcdTree && !etcd) {
          continue;
        }
        Path path = options.certDir().resolve(spec.certFile());
        Loaded loaded = spec.isCa() ? ca(spec.name()) : readPem(path);
        if (spec.isCa()) {
          authorities.add(caItem(spec.name(), path, loaded));
        } else {
          leaves.add(leaf(CERTIFICATES, spec.name(), path, null, loaded, spec.caName()));
        }
      }
      List<Item> trust = new ArrayList<>();
      for (String name : KUBECONFIGS) {
        leaves.add(kubeconfig(CERTIFICATES, name, trust));
      }
      leaves.sort(Comparator.comparing(Item::name));
      authorities.sort(Comparator.comparing(Item::name));
      items.addAll(leaves);
      items.addAll(authorities);
      items.add(kubeconfig(KUBELET, KUBELET_CONF, trust));
      Path client = options.kubeletCertDir().resolve("kubelet-client-current.pem");
      items.add(leaf(KUBELET, "kubelet-client", client, null, readPem(client), CertCatalog.CA.name()));
      items.add(kubeletServing());
      items.addAll(trust);
      for (Item i : items) {
        if (i.error() != null) {
          warnings.add("couldn't read " + i.name() + " (" + (i.certificatePath() == null ? i.path()
              : i.certificatePath()) + "): " + i.error());
        }
      }
      return new Report(List.copyOf(items), List.copyOf(warnings), now, options.warnBefore());
    }

    /**
     * The kubelet's serving certificate: {@code kubelet-server-current.pem} when the kubelet
     * rotates it through the API server ({@code serverTLSBootstrap}, signed by the cluster CA),
     * else the self-signed {@code kubelet.crt} it makes at first start.
     */
    private Item kubeletServing() {
      Path rotated = options.kubeletCertDir().resolve("kubelet-server-current.pem");
      if (Files.exists(rotated)) {
        return leaf(KUBELET, "kubelet-serving", rotated, null, readPem(rotated), CertCatalog.CA.name());
      }
      Path selfSigned = options.kubeletCertDir().resolve("kubelet.crt");
      Loaded loaded = readPem(selfSigned);
      if (loaded.chain().isEmpty()) {
        return new Item(KUBELET, "kubelet-serving", selfSigned, null, null, loaded.missing(), loaded.error(), null,
            false, null, loaded.missing() ? "missing" : "not read", null);
      }
      X509Certificate cert = loaded.chain().get(0);
      List<X509Certificate> rest = loaded.chain().subList(1, loaded.chain().size());
      boolean selfSignedChain = selfSigned(cert) ? verifies(cert, cert)
          : rest.stream().anyMatch(root -> selfSigned(root) && CertChecks.signedBy(loaded.chain(), root));
      return new Item(KUBELET, "kubelet-serving", selfSigned, null, cert, false, null, null, false, null,
          selfSignedChain ? "self-signed by the kubelet: no CA on disk to verify it against"
              : "issued by " + cert.getIssuerX500Principal().getName(X500Principal.RFC2253)
                  + ", which is not on disk", null);
    }

    private Item caItem(String name, Path path, Loaded loaded) {
      boolean external = externallyManaged(name);
      if (loaded.chain().isEmpty()) {
        return new Item(CERTIFICATE_AUTHORITIES, name, path, null, null, loaded.missing(), loaded.error(), null,
            external, null, loaded.missing() ? "missing" : "not read", null);
      }
      X509Certificate cert = loaded.chain().get(0);
      Boolean verified;
      String verification;
      if (selfSigned(cert)) {
        verified = verifies(cert, cert);
        verification = verified ? "self-signed" : "its self-signature does not verify";
      } else {
        verified = null;
        verification = "issued by " + cert.getIssuerX500Principal().getName(X500Principal.RFC2253)
            + ", which is not on disk";
      }
      return new Item(CERTIFICATE_AUTHORITIES, name, path, null, cert, false, null, null, external, verified,
          verification, null);
    }

    private Item leaf(String group, String name, Path path, Path certificatePath, Loaded loaded, String caName) {
      boolean external = externallyManaged(caName);
      if (loaded.chain().isEmpty()) {
        return new Item(group, name, path, certificatePath, null, loaded.missing(), loaded.error(), caName,
            external, null, loaded.missing() ? "missing" : "not read", null);
      }
      Loaded ca = ca(caName);
      Path caPath = caPath(caName);
      Boolean verified;
      String verification;
      if (ca.chain().isEmpty()) {
        verified = null;
        verification = ca.missing() ? caName + " (" + caPath + ") does not exist" : caName + " (" + caPath
            + ") could not be read";
      } else {
        verified = ca.chain().stream().anyMatch(c -> CertChecks.signedBy(loaded.chain(), c));
        verification = (verified ? "signed by " : "not signed by ") + caName + " (" + caPath + ")";
      }
      return new Item(group, name, path, certificatePath, loaded.chain().get(0), false, null, caName, external,
          verified, verification, null);
    }

    /**
     * A kubeconfig's client certificate (embedded, or the file {@code client-certificate} names)
     * and, into {@code trust}, one item per certificate of the CA bundle its cluster trusts.
     */
    private Item kubeconfig(String group, String name, List<Item> trust) {
      Path path = options.kubeconfigDir().resolve(name);
      String caName = CertCatalog.CA.name();
      Kubeconfig kc;
      try {
        Optional<byte[]> bytes = read(path);
        if (bytes.isEmpty()) {
          return new Item(group, name, path, null, null, true, null, caName, externallyManaged(caName), null,
              "missing", null);
        }
        kc = Kubeconfig.parse(bytes.get());
      } catch (IllegalArgumentException e) {
        return new Item(group, name, path, null, null, false, e.getMessage(), caName, externallyManaged(caName),
            null, "not read", null);
      }
      Boolean trusts = trustBundle(name, path, kc, trust);
      Item client;
      Object data = kc.user().get("client-certificate-data");
      Object file = kc.user().get("client-certificate");
      if (data instanceof String s && !s.isBlank()) {
        client = leaf(group, name, path, null, parse(() -> Base64.getMimeDecoder().decode(s)), caName);
      } else if (file instanceof String f && !f.isBlank()) {
        Path certPath = path.getParent().resolve(f);
        Loaded loaded = readPem(certPath);
        if (loaded.missing()) {
          loaded = new Loaded(List.of(), false, "client-certificate " + certPath + " does not exist");
        }
        client = leaf(group, name, path, certPath, loaded, caName);
      } else {
        client = leaf(group, name, path, null, new Loaded(List.of(), false, "the user has no client certificate"),
            caName);
      }
      return new Item(client.group(), client.name(), client.path(), client.certificatePath(), client.cert(),
          client.missing(), client.error(), client.caName(), client.externallyManaged(), client.verified(),
          client.verification(), trusts);
    }

    /** Adds the trust-bundle items of a kubeconfig; returns whether the bundle holds the CA on disk. */
    private Boolean trustBundle(String kubeconfig, Path path, Kubeconfig kc, List<Item> trust) {
      Object data = kc.cluster().get("certificate-authority-data");
      Object file = kc.cluster().get("certificate-authority");
      Loaded bundle;
      Path bundlePath = null;
      String source;
      if (data instanceof String s && !s.isBlank()) {
        source = "certificate-authority-data";
        bundle = parse(() -> Base64.getMimeDecoder().decode(s));
      } else if (file instanceof String f && !f.isBlank()) {
        source = "certificate-authority";
        bundlePath = path.getParent().resolve(f);
        bundle = readPem(bundlePath);
        if (bundle.missing()) {
          bundle = new Loaded(List.of(), false, "certificate-authority " + bundlePath + " does not exist");
        }
      } else {
        warnings.add(kubeconfig + " (" + path + ") names no certificate authority for its cluster");
        return false;
      }
      String caName = CertCatalog.CA.name();
      boolean external = externallyManaged(caName);
      if (bundle.chain().isEmpty()) {
        trust.add(new Item(TRUST_BUNDLES, kubeconfig + ":" + source, path, bundlePath, null, false,
            bundle.error(), caName, external, null, "not read", null));
        return null;
      }
      Loaded ca = ca(caName);
      Path caPath = caPath(caName);
      for (int i = 0; i < bundle.chain().size(); i++) {
        X509Certificate c = bundle.chain().get(i);
        Boolean onDisk = ca.chain().isEmpty() ? null : ca.chain().stream().anyMatch(d -> sameCertificate(c, d));
        String verification = onDisk == null ? caName + " (" + caPath + ") is not on disk"
            : (onDisk ? "is " : "is not ") + caName + " on disk (" + caPath + ")";
        trust.add(new Item(TRUST_BUNDLES, kubeconfig + ":" + source + "[" + i + "]", path, bundlePath, c, false,
            null, caName, external, onDisk, verification, null));
      }
      if (ca.chain().isEmpty()) {
        return null;
      }
      X509Certificate signing = ca.chain().get(0);
      return bundle.chain().stream().anyMatch(c -> sameCertificate(c, signing));
    }

    private Loaded ca(String caName) {
      return cas.computeIfAbsent(caName, n -> readPem(caPath(n)));
    }

    private Path caPath(String caName) {
      return options.certDir().resolve(spec(caName).certFile());
    }

    private boolean externallyManaged(String caName) {
      CertSpec ca = spec(caName);
      return Files.exists(options.certDir().resolve(ca.certFile()))
          && !Files.exists(options.certDir().resolve(ca.keyFile()));
    }
  }

  private static CertSpec spec(String caName) {
    return CertCatalog.all().stream().filter(s -> s.name().equals(caName)).findFirst().orElseThrow();
  }

  private static boolean selfSigned(X509Certificate cert) {
    return cert.getIssuerX500Principal().equals(cert.getSubjectX500Principal());
  }

  private static boolean verifies(X509Certificate cert, X509Certificate issuer) {
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static boolean sameCertificate(X509Certificate a, X509Certificate b) {
    try {
      return Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (CertificateEncodingException e) {
      return false;
    }
  }

  /** Loaded is what was found in one file: its certificates (leaf first), nothing, or an error. */
  private record Loaded(List<X509Certificate> chain, boolean missing, String error) {}

  private interface Bytes {
    byte[] get();
  }

  private static Loaded parse(Bytes bytes) {
    try {
      return new Loaded(Pem.parseCertificates(bytes.get()), false, null);
    } catch (IllegalArgumentException e) {
      return new Loaded(List.of(), false, e.getMessage());
    }
  }

  private static Loaded readPem(Path path) {
    try {
      Optional<byte[]> bytes = read(path);
      if (bytes.isEmpty()) {
        return new Loaded(List.of(), true, null);
      }
      return parse(bytes::get);
    } catch (IllegalArgumentException e) {
      return new Loaded(List.of(), false, e.getMessage());
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

  /**
   * Kubeconfig is the user and the cluster of a kubeconfig's current context (else its first
   * user and cluster), parsed with SnakeYAML's safe constructor and alias/size limits.
   */
  private record Kubeconfig(Map<?, ?> user, Map<?, ?> cluster) {
    static Kubeconfig parse(byte[] bytes) {
      Object doc;
      try {
        LoaderOptions limits = new LoaderOptions();
        limits.setMaxAliasesForCollections(20);
        limits.setAllowDuplicateKeys(false);
        limits.setCodePointLimit(MAX_FILE);
        doc = new Yaml(new SafeConstructor(limits)).load(new String(bytes, StandardCharsets.UTF_8));
      } catch (org.yaml.snakeyaml.error.YAMLException e) {
        throw new IllegalArgumentException("not valid YAML");
      }
      if (!(doc instanceof Map<?, ?> root)) {
        throw new IllegalArgumentException("not a kubeconfig");
      }
      Object current = root.get("current-context");
      String userName = null;
      String clusterName = null;
      if (root.get("contexts") instanceof List<?> contexts) {
        for (Object c : contexts) {
          if (c instanceof Map<?, ?> m && m.get("name") != null && m.get("name").equals(current)
              && m.get("context") instanceof Map<?, ?> ctx) {
            userName = ctx.get("user") instanceof String u ? u : null;
            clusterName = ctx.get("cluster") instanceof String cl ? cl : null;
          }
        }
      }
      Map<?, ?> user = named(root.get("users"), "user", userName);
      if (user == null) {
        throw new IllegalArgumentException("no user found for the current context");
      }
      Map<?, ?> cluster = named(root.get("clusters"), "cluster", clusterName);
      return new Kubeconfig(user, cluster == null ? Map.of() : cluster);
    }

    private static Map<?, ?> named(Object list, String key, String name) {
      if (list instanceof List<?> entries) {
        for (Object e : entries) {
          if (e instanceof Map<?, ?> m && (name == null || name.equals(m.get("name")))
              && m.get(key) instanceof Map<?, ?> value) {
            return value;
          }
        }
      }
      return null;
    }
  }
}
