package io.kubeforge.worker.renew;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.AltNames;
import io.kubeforge.worker.pki.CertCatalog;
import io.kubeforge.worker.pki.CertChecks;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.CertificateFactory;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.pki.Validity;
import io.kubeforge.worker.renew.RenewCatalog.Item;
import io.kubeforge.worker.renew.RenewCatalog.Kind;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.GoDuration;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * RenewPhase is {@code kubeadm certs renew all|<name>} (v1.34 {@code Manager.RenewUsingLocalCA}):
 * each named leaf certificate, and the client certificate embedded in {@code admin.conf},
 * {@code super-admin.conf}, {@code controller-manager.conf} and {@code scheduler.conf}, is issued
 * again by its CA on disk with the subject (CN, O), SANs and extended key usages copied from the
 * old certificate, NotBefore five minutes before the start and NotAfter after
 * {@code certificate_validity}, and a new key of {@code key_algorithm} (kubeadm 1.34 always makes a
 * new key, of the configured algorithm, not of the old key's). A kubeconfig also gets its CA data
 * from {@code ca.crt}, as kubeadm's writer does. An item whose CA key is absent (external CA) or
 * whose file is missing is skipped and reported, as kubeadm prints it and goes on.
 *
 * <p>Beyond kubeadm: {@code reuse_key} keeps the old key; {@code recompute_names} takes the names
 * of the certificates from the configuration instead of the old certificate (the API server's and
 * etcd's SANs, etcd's CN); {@code renew_before} renews only what expires within that duration (or
 * has expired), so a re-run converges; every replaced file is backed up; a key and its certificate
 * are written as one unit.
 */
public final class RenewPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "backup", "certificates", "reuse_key",
      "recompute_names", "renew_before");
  private static final int MAX_FILE = 1 << 20;
  private static final String ALL = "all";

  private final KeyPairs.KeySource keys;
  private final Clock clock;

  /** Creates the phase with the worker's keys and the system clock. */
  public RenewPhase() {
    this(KeyPairs.secure(), Clock.systemUTC());
  }

  /** Creates the phase with an injected key source and clock (tests). */
  public RenewPhase(KeyPairs.KeySource keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
  }

  /** What the request asks besides the model. */
  private record Ask(List<Item> items, boolean reuseKey, boolean recomputeNames, Duration renewBefore, boolean backup) {}

  /** One item's decision and, once issued, its new material. */
  private static final class Plan {
    final Item item;
    String action;
    String reason;
    X509Certificate old;
    X509Certificate ca;
    PrivateKey caKey;
    CertSpec spec;
    Map<String, Object> kubeconfig;
    PrivateKey oldKey;
    X509Certificate issued;
    KeyPair keyPair;

    Plan(Item item) {
      this.item = item;
    }

    boolean renews() {
      return "renewed".equals(action);
    }
  }

  /** Runs the capability: see the class comment. Concurrent calls for one directory are serialised. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    Ask ask = ask(RequestOptions.fields(body, OWN_FIELDS), m);
    SafeFiles pki = SafeFiles.under(m.certDir(), "renew", "cert_dir");
    SafeFiles out = SafeFiles.under(m.kubeconfigDir(), "renew", "kubeconfig_dir");
    try (FileReconciler r = FileReconciler.open("renew", dryRun, pki, out)) {
      return r.finish(runLocked(r, pki, out, m, ask, dryRun));
    }
  }

  private static Ask ask(RequestFields f, ClusterModel m) {
    List<String> names = f.stringList("certificates");
    List<Item> available = RenewCatalog.forCluster(m.etcd().local() != null);
    List<Item> items;
    if (names.isEmpty() || names.equals(List.of(ALL))) {
      items = available;
    } else {
      Set<String> wanted = new LinkedHashSet<>();
      for (int i = 0; i < names.size(); i++) {
        String n = names.get(i);
        if (available.stream().noneMatch(it -> it.name().equals(n))) {
          throw WorkerException.badInput("renew.unknown_certificate", "certificates[" + i + "]", "'" + n
              + "' is not a valid certificate for this cluster; one of all, "
              + String.join(", ", available.stream().map(Item::name).toList()));
        }
        wanted.add(n);
      }
      items = available.stream().filter(it -> wanted.contains(it.name())).toList();
    }
    Duration before = null;
    if (f.string("renew_before").isPresent()) {
      try {
        before = GoDuration.parse(f.string("renew_before").get());
      } catch (IllegalArgumentException e) {
        throw WorkerException.badInput("renew.invalid_duration", "renew_before", e.getMessage());
      }
      if (before.isNegative()) {
        throw WorkerException.badInput("renew.invalid_duration", "renew_before", "must not be negative");
      }
    }
    return new Ask(items, f.bool("reuse_key", false), f.bool("recompute_names", false), before, f.bool("backup", true));
  }

  private PhaseResult runLocked(FileReconciler rec, SafeFiles pki, SafeFiles out, ClusterModel m, Ask ask,
                                boolean dryRun) {
    Instant start = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Validity validity = Validity.startingAt(start, m.certificateValidity());
    KeyAlgorithm algorithm = KeyAlgorithm.byId(m.keyAlgorithm()).orElse(KeyAlgorithm.DEFAULT);
    List<String> warnings = new ArrayList<>();
    Map<String, CertSpec> configured = ask.recomputeNames() ? configuredSpecs(m) : Map.of();
    List<Plan> plans = new ArrayList<>();
    for (Item item : ask.items()) {
      Plan p = plan(item, pki, out, m, ask, start, configured);
      plans.add(p);
      if (p.renews() && p.ca.getNotAfter().toInstant().isBefore(validity.notAfter())) {
        warnings.add("certificate " + item.name() + " will be valid until " + time(validity.notAfter())
            + " but its CA " + item.caBaseName() + " expires on " + time(p.ca.getNotAfter().toInstant()));
      }
      if ("external".equals(p.action)) {
        warnings.add("Detected external " + item.caBaseName() + ", " + item.name() + " can't be renewed");
      } else if ("missing".equals(p.action)) {
        warnings.add("MISSING! " + item.name() + ": " + p.reason);
      }
    }
    List<Plan> renewing = plans.stream().filter(Plan::renews).toList();
    List<String> backups = new ArrayList<>();
    if (!dryRun && !renewing.isEmpty()) {
      long fresh = ask.reuseKey() ? 0 : renewing.size();
      Iterator<KeyPair> newKeys = keys.next(algorithm, (int) fresh).iterator();
      List<FileReconciler.Desired> pkiWrites = new ArrayList<>();
      List<FileReconciler.Desired> kubeconfigWrites = new ArrayList<>();
      for (Plan p : renewing) {
        p.keyPair = ask.reuseKey() ? new KeyPair(KeyPairs.publicKeyOf(p.oldKey), p.oldKey) : newKeys.next();
        p.issued = CertificateFactory.issue(p.spec, p.keyPair.getPublic(), p.ca, p.caKey, validity);
        String certPem = Pem.encodeCertificate(p.issued);
        String keyPem = Pem.encodePrivateKey(p.keyPair.getPrivate());
        if (p.item.kind() == Kind.CERTIFICATE) {
          if (!ask.reuseKey()) {
            pkiWrites.add(new FileReconciler.Desired(p.item.keyFile(), ascii(keyPem), SafeFiles.PRIVATE, p.item.name()));
          }
          pkiWrites.add(new FileReconciler.Desired(p.item.certFile(), ascii(certPem), SafeFiles.PUBLIC, p.item.name()));
        } else {
          kubeconfigWrites.add(new FileReconciler.Desired(p.item.certFile(),
              renderKubeconfig(p.kubeconfig, Pem.encodeCertificate(p.ca), certPem, keyPem), SafeFiles.PRIVATE));
        }
      }
      rec.commit(pki, pkiWrites, ask.backup(), start).forEach(b -> backups.add(b.toString()));
      rec.commit(out, kubeconfigWrites, ask.backup(), start).forEach(b -> backups.add(b.toString()));
    }
    return result(plans, m, ask, validity, algorithm, backups, warnings, dryRun);
  }

  private static Map<String, CertSpec> configuredSpecs(ClusterModel m) {
    Map<String, CertSpec> out = new LinkedHashMap<>();
    for (CertSpec s : CertCatalog.forOptions(m.pkiOptions(true))) {
      out.put(s.name(), s);
    }
    return out;
  }

  private static Plan plan(Item item, SafeFiles pki, SafeFiles out, ClusterModel m, Ask ask, Instant now,
                           Map<String, CertSpec> configured) {
    Plan p = new Plan(item);
    SafeFiles home = item.kind() == Kind.CERTIFICATE ? pki : out;
    byte[] bytes = home.rootExists() ? home.read(item.certFile(), MAX_FILE).orElse(null) : null;
    if (bytes == null) {
      p.action = "missing";
      p.reason = home.resolve(item.certFile()) + " does not exist";
      return p;
    }
    if (item.kind() == Kind.CERTIFICATE) {
      p.old = firstCertificate(bytes, home.resolve(item.certFile()).toString());
    } else {
      p.kubeconfig = kubeconfigTree(bytes, home.resolve(item.certFile()).toString());
      p.old = firstCertificate(clientData(p.kubeconfig, "client-certificate-data", home.resolve(item.certFile()).toString()),
          home.resolve(item.certFile()).toString());
    }
    byte[] caBytes = pki.read(item.caBaseName() + ".crt", MAX_FILE).orElseThrow(() -> WorkerException.conflict(
        "renew.ca_missing", "couldn't load the CA of " + item.name() + ": " + pki.resolve(item.caBaseName() + ".crt")
            + " does not exist"));
    p.ca = firstCertificate(caBytes, pki.resolve(item.caBaseName() + ".crt").toString());
    if (p.ca.getBasicConstraints() < 0) {
      throw WorkerException.conflict("renew.not_a_ca", pki.resolve(item.caBaseName() + ".crt") + " is not a CA certificate");
    }
    Instant notAfter = p.old.getNotAfter().toInstant();
    byte[] caKey = pki.read(item.caBaseName() + ".key", MAX_FILE).orElse(null);
    if (caKey == null) {
      p.action = "external";
      p.reason = pki.resolve(item.caBaseName() + ".key") + " is absent (external CA); renew it with that CA";
      return p;
    }
    if (ask.renewBefore() != null && notAfter.isAfter(now.plus(ask.renewBefore()))) {
      p.action = "kept";
      p.reason = "expires on " + time(notAfter) + ", not within renew_before (" + GoDuration.format(ask.renewBefore()) + ")";
      return p;
    }
    p.caKey = parseKey(caKey, pki.resolve(item.caBaseName() + ".key").toString());
    if (!KeyPairs.matches(p.caKey, p.ca.getPublicKey())) {
      throw WorkerException.conflict("renew.key_mismatch", pki.resolve(item.caBaseName() + ".key")
          + " does not match " + pki.resolve(item.caBaseName() + ".crt"));
    }
    if (ask.reuseKey()) {
      p.oldKey = item.kind() == Kind.CERTIFICATE
          ? parseKey(pki.read(item.keyFile(), MAX_FILE).orElseThrow(() -> WorkerException.conflict("renew.key_missing",
              "reuse_key: " + pki.resolve(item.keyFile()) + " does not exist")), pki.resolve(item.keyFile()).toString())
          : parseKey(clientData(p.kubeconfig, "client-key-data", out.resolve(item.certFile()).toString()),
              out.resolve(item.certFile()).toString());
      if (!KeyPairs.matches(p.oldKey, p.old.getPublicKey())) {
        throw WorkerException.conflict("renew.key_mismatch", "reuse_key: the key of " + item.name()
            + " does not match its certificate");
      }
    }
    p.spec = specFrom(item, p.old);
    CertSpec wanted = configured.get(item.name());
    if (wanted != null) {
      p.spec = p.spec.withCommonName(wanted.commonName()).withAltNames(wanted.altNames());
    }
    p.action = "renewed";
    p.reason = now.isAfter(notAfter) ? "expired on " + time(notAfter)
        : ask.renewBefore() != null ? "expires on " + time(notAfter) + ", within renew_before ("
            + GoDuration.format(ask.renewBefore()) + ")"
        : "renewal requested (renewals run regardless of expiry, as kubeadm's)";
    return p;
  }

  /** kubeadm's {@code certToConfig}: CN, O, DNS and IP SANs, extended key usages of the old certificate. */
  private static CertSpec specFrom(Item item, X509Certificate cert) {
    String cn = null;
    List<String> orgs = new ArrayList<>();
    org.bouncycastle.asn1.x500.X500Name subject =
        org.bouncycastle.asn1.x500.X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    for (org.bouncycastle.asn1.x500.RDN rdn : subject.getRDNs()) {
      for (org.bouncycastle.asn1.x500.AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
        String v = tv.getValue() instanceof org.bouncycastle.asn1.ASN1String s ? s.getString()
            : org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(tv.getValue());
        if (tv.getType().equals(org.bouncycastle.asn1.x500.style.BCStyle.CN)) {
          cn = v;
        } else if (tv.getType().equals(org.bouncycastle.asn1.x500.style.BCStyle.O)) {
          orgs.add(v);
        }
      }
    }
    List<CertSpec.Usage> usages = new ArrayList<>();
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      for (CertSpec.Usage u : CertSpec.Usage.values()) {
        if (eku != null && eku.contains(u.oid().getId())) {
          usages.add(u);
        }
      }
    } catch (java.security.cert.CertificateParsingException e) {
      throw WorkerException.conflict("renew.unreadable_file", "couldn't read the key usages of " + item.name(), e);
    }
    if (cn == null || cn.isEmpty() || usages.isEmpty()) {
      throw WorkerException.conflict("renew.unusable_certificate", "certificate " + item.name()
          + " has no " + (cn == null || cn.isEmpty() ? "CommonName" : "serverAuth or clientAuth usage")
          + " to copy; remove it and run pki/kubeconfig to create it");
    }
    AltNames sans = CertChecks.altNames(cert);
    return new CertSpec(item.name(), item.baseName(), item.caBaseName(), cn, orgs, usages, sans);
  }

  private PhaseResult result(List<Plan> plans, ClusterModel m, Ask ask, Validity validity, KeyAlgorithm algorithm,
                             List<String> backups, List<String> warnings, boolean dryRun) {
    List<Object> items = new ArrayList<>();
    List<String> renewed = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Set<String> restart = new TreeSet<>();
    StringBuilder before = new StringBuilder();
    StringBuilder after = new StringBuilder();
    for (Plan p : plans) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", p.item.name());
      r.put("kind", p.item.kind().name().toLowerCase(java.util.Locale.ROOT));
      r.put("path", (p.item.kind() == Kind.CERTIFICATE ? m.certDir() : m.kubeconfigDir()).resolve(p.item.certFile()).toString());
      r.put("ca", p.item.caBaseName());
      r.put("action", p.action);
      r.put("reason", p.reason);
      boolean skip = "external".equals(p.action) || "missing".equals(p.action);
      r.put("skipped", skip);
      r.put("old_not_after", p.old == null ? null : time(p.old.getNotAfter().toInstant()));
      r.put("old_serial", p.old == null ? null : serial(p.old));
      r.put("new_not_after", p.renews() ? time(validity.notAfter()) : null);
      r.put("new_serial", p.issued == null ? null : serial(p.issued));
      r.put("key", p.renews() ? (ask.reuseKey() ? "reused" : "new " + algorithm.id()) : null);
      r.put("components", p.item.components());
      items.add(r);
      if (skip) {
        skipped.add(p.item.name());
      }
      if (p.renews()) {
        renewed.add(p.item.name());
        restart.addAll(p.item.components());
        String names = "CN=" + p.spec.commonName() + (p.spec.organizations().isEmpty() ? "" : ", O="
            + String.join("+", p.spec.organizations())) + (p.spec.altNames().isEmpty() ? "" : ", SANs " + p.spec.altNames().describe());
        before.append("# ").append(p.item.name()).append('\n').append("serial ").append(serial(p.old))
            .append(", valid until ").append(time(p.old.getNotAfter().toInstant())).append('\n');
        after.append("# ").append(p.item.name()).append('\n').append(p.reason).append("; ").append(names)
            .append(", ").append(ask.reuseKey() ? "same key" : "new " + algorithm.id() + " key")
            .append(", valid until ").append(time(validity.notAfter())).append('\n');
      }
    }
    if (!renewed.isEmpty() && !restart.isEmpty()) {
      warnings.add("restart " + String.join(", ", restart) + " so that they use the new certificates");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("cert_dir", m.certDir().toString());
    result.put("kubeconfig_dir", m.kubeconfigDir().toString());
    result.put("certificates", items);
    result.put("renewed", renewed);
    result.put("skipped_certificates", skipped);
    result.put("restart", List.copyOf(restart));
    result.put("backups", backups);
    result.put("dry_run", dryRun);
    Map<String, Object> diff = renewed.isEmpty() ? null : Map.of("before", before.toString(), "after", after.toString());
    return new PhaseResult(!renewed.isEmpty(), warnings, result, diff);
  }

  private static X509Certificate firstCertificate(byte[] pem, String where) {
    try {
      List<X509Certificate> certs = Pem.parseCertificates(pem);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("no certificate found");
      }
      return certs.get(0);
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("renew.unreadable_file", "failed to load existing certificate " + where + ": "
          + e.getMessage());
    }
  }

  private static PrivateKey parseKey(byte[] pem, String where) {
    try {
      return Pem.parsePrivateKey(pem);
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("renew.unreadable_file", "couldn't load private key " + where + ": " + e.getMessage());
    }
  }

  /** Parses a kubeconfig into a mutable tree and checks it as kubeadm's {@code kubeConfigReadWriter.Read}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> kubeconfigTree(byte[] bytes, String where) {
    Object parsed;
    try {
      parsed = SafeYaml.load(new String(bytes, StandardCharsets.UTF_8), "kubeconfig");
    } catch (WorkerException e) {
      throw WorkerException.conflict("renew.unreadable_file", "failed to load kubeConfig file " + where + ": " + e.getMessage());
    }
    if (!(parsed instanceof Map<?, ?>)) {
      throw WorkerException.conflict("renew.unreadable_file", "failed to load kubeConfig file " + where + ": not a mapping");
    }
    Map<String, Object> tree = (Map<String, Object>) mutable(parsed);
    Object current = tree.get("current-context");
    Map<String, Object> context = named(tree, "contexts", current, "context");
    if (context == null) {
      throw WorkerException.conflict("renew.invalid_kubeconfig", "invalid kubeConfig file " + where + ": missing context " + current);
    }
    Map<String, Object> cluster = named(tree, "clusters", context.get("cluster"), "cluster");
    if (cluster == null) {
      throw WorkerException.conflict("renew.invalid_kubeconfig", "invalid kubeConfig file " + where + ": missing cluster "
          + context.get("cluster"));
    }
    if (!(cluster.get("certificate-authority-data") instanceof String s) || s.isBlank()) {
      throw WorkerException.conflict("renew.invalid_kubeconfig", "kubeConfig file " + where
          + " does not have an embedded server certificate");
    }
    return tree;
  }

  private static byte[] clientData(Map<String, Object> tree, String field, String where) {
    Map<String, Object> context = named(tree, "contexts", tree.get("current-context"), "context");
    Map<String, Object> user = named(tree, "users", context.get("user"), "user");
    if (user == null) {
      throw WorkerException.conflict("renew.invalid_kubeconfig", "invalid kubeConfig file " + where + ": missing authInfo "
          + context.get("user"));
    }
    if (!(user.get(field) instanceof String data) || data.isBlank()) {
      throw WorkerException.conflict("renew.invalid_kubeconfig", "kubeConfig file " + where
          + " does not have an embedded client " + (field.contains("key") ? "key" : "certificate"));
    }
    try {
      return Base64.getMimeDecoder().decode(data.trim());
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("renew.invalid_kubeconfig", "kubeConfig file " + where + ": " + field + " is not base64");
    }
  }

  /** The new file: the same Config with the current context's CA data and client certificate and key replaced. */
  private static byte[] renderKubeconfig(Map<String, Object> tree, String caPem, String certPem, String keyPem) {
    Map<String, Object> context = named(tree, "contexts", tree.get("current-context"), "context");
    named(tree, "clusters", context.get("cluster"), "cluster").put("certificate-authority-data", b64(caPem));
    Map<String, Object> user = named(tree, "users", context.get("user"), "user");
    user.put("client-certificate-data", b64(certPem));
    user.put("client-key-data", b64(keyPem));
    return KubeYaml.render(tree).getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> named(Map<String, Object> tree, String list, Object name, String field) {
    if (!(tree.get(list) instanceof List<?> items) || name == null) {
      return null;
    }
    for (Object item : items) {
      if (item instanceof Map<?, ?> e && name.equals(e.get("name")) && e.get(field) instanceof Map<?, ?> inner) {
        return (Map<String, Object>) inner;
      }
    }
    return null;
  }

  private static Object mutable(Object node) {
    if (node instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), mutable(v)));
      return out;
    }
    if (node instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(v -> out.add(mutable(v)));
      return out;
    }
    return node;
  }

  private static String b64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String serial(X509Certificate c) {
    return c.getSerialNumber().toString(16);
  }

  private static String time(Instant i) {
    return DateTimeFormatter.ISO_INSTANT.format(i);
  }
}
