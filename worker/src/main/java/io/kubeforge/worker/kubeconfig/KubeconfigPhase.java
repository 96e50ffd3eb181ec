package io.kubeforge.worker.kubeconfig;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Endpoints;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.CertificateFactory;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.pki.Validity;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KubeconfigPhase writes the kubeconfig files of {@link KubeconfigCatalog}: absent → created with
 * a new key (from the {@link KeyPairs.KeySource}) and a client certificate signed by
 * {@code <cert_dir>/ca.crt}/{@code ca.key}; present → checked as kubeadm does (same CA, same
 * server URL) and kept, otherwise reissued with the reason, after a backup. kubeadm only warns
 * about a different server URL; here it is a reason to reissue, so moving the control-plane
 * endpoint converges. With an external CA ({@code ca.key} absent) files can only be kept:
 * a missing or mismatching one is a conflict. Results and diffs never hold key material.
 * With {@code reissue_on_name_change} a file that differs only in its server URL (a moved
 * advertise address or {@code control_plane_endpoint}) has just that URL rewritten, so the
 * identities of existing kubeconfigs stay valid; kubeadm would only warn.
 */
public final class KubeconfigPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "backup", "kubeconfigs", "reissue_on_name_change");
  private static final int MAX_FILE = 1 << 20;

  private final KeyPairs.KeySource keys;
  private final Clock clock;

  /** Creates the phase with secure new keys and the system clock. */
  public KubeconfigPhase() {
    this(KeyPairs.secure(), Clock.systemUTC());
  }

  /** Creates the phase with an injected key source and clock (tests). */
  public KubeconfigPhase(KeyPairs.KeySource keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
  }

  /**
   * Runs the phase for the worker's {@code Capability} contract: {@code dryRun} comes from the
   * envelope; the body holds the model's options, {@code backup} and {@code kubeconfigs}.
   */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    RequestFields f = RequestOptions.fields(body, OWN_FIELDS);
    List<String> names = f.stringList("kubeconfigs");
    List<KubeconfigSpec> specs = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      specs.add(KubeconfigCatalog.byFileName(n).orElseThrow(() -> WorkerException.badInput(
          "kubeconfig.unknown_file", "kubeconfigs", "'" + n + "' is not one of admin.conf, super-admin.conf, "
              + "kubelet.conf, controller-manager.conf, scheduler.conf")));
    }
    return run(m, specs.isEmpty() ? KubeconfigCatalog.forModel(m) : specs, dryRun, f.bool("backup", true),
        f.bool("reissue_on_name_change", false));
  }

  /** Runs the phase for the model's default files. */
  public PhaseResult run(ClusterModel m, boolean dryRun) {
    return run(m, KubeconfigCatalog.forModel(m), dryRun, true);
  }

  /** Runs the phase for the given files; see the class comment. Concurrent calls for one directory are serialised. */
  public PhaseResult run(ClusterModel m, List<KubeconfigSpec> specs, boolean dryRun, boolean backup) {
    return run(m, specs, dryRun, backup, false);
  }

  /**
   * Same as {@link #run(ClusterModel, List, boolean, boolean)}; with {@code serverOnly} a file
   * whose only difference is the server URL gets just that line changed (action
   * {@code updated}): its client certificate and key, and so its identity, stay.
   */
  public PhaseResult run(ClusterModel m, List<KubeconfigSpec> specs, boolean dryRun, boolean backup,
                         boolean serverOnly) {
    // the CA is read under cert_dir's lock, so a PKI call cannot swap it half-way
    SafeFiles pki = SafeFiles.under(m.certDir(), "kubeconfig", "cert_dir");
    SafeFiles out = SafeFiles.under(m.kubeconfigDir(), "kubeconfig", "kubeconfig_dir");
    try (FileReconciler r = FileReconciler.open("kubeconfig", dryRun, pki, out)) {
      return r.finish(runLocked(r, pki, out, m, specs, dryRun, backup, serverOnly));
    }
  }

  private PhaseResult runLocked(FileReconciler rec, SafeFiles pki, SafeFiles out, ClusterModel m,
                                List<KubeconfigSpec> specs, boolean dryRun, boolean backup, boolean serverOnly) {
    m.requireAdvertiseAddress();
    List<String> warnings = new ArrayList<>();
    String pw = Endpoints.portWarning(m);
    if (pw != null) {
      warnings.add(pw);
    }
    byte[] caPem = pki.read("ca.crt", MAX_FILE).orElseThrow(() -> WorkerException.conflict("kubeconfig.ca_missing",
        "couldn't load the cluster CA: " + m.certDir().resolve("ca.crt") + " does not exist; create the PKI first"));
    X509Certificate ca = parseCa(caPem, m);
    PrivateKey caKey = pki.read("ca.key", MAX_FILE).map(KubeconfigPhase::parseKey).orElse(null);
    String caText = new String(caPem, StandardCharsets.UTF_8);

    Instant start = clock.instant();
    // kubeadm's kubeconfig certificates set only NotAfter; pkiutil.NewSignedCert then takes
    // NotBefore from the CA certificate (not start − 5 min as for the certs phase)
    Validity validity = new Validity(ca.getNotBefore().toInstant(), start.plus(m.certificateValidity()));
    KeyAlgorithm algorithm = KeyAlgorithm.byId(m.keyAlgorithm()).orElse(KeyAlgorithm.DEFAULT);
    List<Object> results = new ArrayList<>();
    List<Object> backups = new ArrayList<>();
    StringBuilder before = new StringBuilder();
    StringBuilder after = new StringBuilder();
    boolean changed = false;
    // 1. plan: what each file needs; 2. one batch of keys for all that change (generated on
    // every core at once); 3. render everything in memory; 4. only then back up and write.
    List<KubeconfigSpec> toIssue = new ArrayList<>();
    List<FileReconciler.Desired> updates = new ArrayList<>();
    for (KubeconfigSpec spec : specs) {
      String server = KubeconfigCatalog.serverUrl(spec, m);
      String user = spec.clientName().apply(m);
      byte[] existing = out.rootExists() ? out.read(spec.fileName(), MAX_FILE).orElse(null) : null;
      String reason = existing == null ? null : ExistingKubeconfig.mismatch(existing, ca, server);
      String action = existing == null ? "created" : reason == null ? "kept" : "reissued";
      byte[] updated = serverOnly && reason != null && reason.startsWith(ExistingKubeconfig.SERVER_MISMATCH)
          ? ExistingKubeconfig.withServer(existing, server) : null;
      if (updated != null) {
        action = "updated";
        String oldServer = reason.substring(reason.lastIndexOf(", got ") + 6);
        reason = "server changed from " + oldServer + " to " + server + "; client certificate and key kept";
        updates.add(new FileReconciler.Desired(spec.fileName(), updated, SafeFiles.PRIVATE));
        changed = true;
        before.append(summary(spec, "server " + oldServer));
        after.append(summary(spec, "server " + server + " (only this line changes)"));
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", spec.fileName());
      r.put("path", m.kubeconfigDir().resolve(spec.fileName()).toString());
      r.put("cluster", m.clusterName());
      r.put("server", server);
      r.put("user", user);
      r.put("context", user + "@" + m.clusterName());
      r.put("organizations", spec.organizations());
      if (!action.equals("kept") && !action.equals("updated")) {
        if (caKey == null) {
          throw WorkerException.conflict("kubeconfig.external_ca", "couldn't " + (existing == null ? "create " : "reissue ")
              + m.kubeconfigDir().resolve(spec.fileName()) + ": " + m.certDir().resolve("ca.key")
              + " is absent (external CA mode); provide the kubeconfig file signed by your CA"
              + (reason == null ? "" : " (" + reason + ")"));
        }
        changed = true;
        toIssue.add(spec);
        r.put("not_after", DateTimeFormatter.ISO_INSTANT.format(validity.notAfter()));
        before.append(summary(spec, existing == null ? null : "existing file (" + reason + ")"));
        after.append(summary(spec, "server " + server + ", user " + user + ", context " + user + "@"
            + m.clusterName() + ", new " + algorithm.id() + " key, client certificate valid until "
            + DateTimeFormatter.ISO_INSTANT.format(validity.notAfter())));
      }
      r.put("action", action);
      if (reason != null) {
        r.put("reason", reason);
      }
      results.add(r);
    }
    if (!dryRun && !updates.isEmpty() && toIssue.isEmpty()) {
      rec.commit(out, updates, backup, start).forEach(p -> backups.add(p.toString()));
    }
    if (!dryRun && !toIssue.isEmpty()) {
      java.util.Iterator<KeyPair> fresh = keys.next(algorithm, toIssue.size()).iterator();
      Map<String, String> rendered = new LinkedHashMap<>();
      for (KubeconfigSpec spec : toIssue) {
        rendered.put(spec.fileName(), issue(spec, m, spec.clientName().apply(m), KubeconfigCatalog.serverUrl(spec, m),
            ca, caKey, caText, validity, fresh.next()));
      }
      List<FileReconciler.Desired> writes = new ArrayList<>(updates);
      rendered.forEach((name, text) -> writes.add(
          new FileReconciler.Desired(name, text.getBytes(StandardCharsets.UTF_8), SafeFiles.PRIVATE)));
      rec.commit(out, writes, backup, start).forEach(p -> backups.add(p.toString()));
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("kubeconfig_dir", m.kubeconfigDir().toString());
    result.put("kubeconfigs", results);
    result.put("backups", backups);
    Map<String, Object> diff = changed ? Map.of("before", before.toString(), "after", after.toString()) : null;
    return new PhaseResult(changed, warnings, result, diff);
  }

  /** Renders one kubeconfig with a fresh key and client certificate. */
  static String issue(KubeconfigSpec spec, ClusterModel m, String user, String server, X509Certificate ca,
                      PrivateKey caKey, String caPem, Validity validity, KeyPair kp) {
    CertSpec cert = CertSpec.client(spec.fileName(), "ca", user, spec.organizations());
    X509Certificate leaf = CertificateFactory.issue(cert, kp.getPublic(), ca, caKey, validity);
    return KubeconfigRenderer.render(m.clusterName(), server, user, caPem,
        Pem.encodeCertificate(leaf), Pem.encodePrivateKey(kp.getPrivate()));
  }

  private static String summary(KubeconfigSpec spec, String text) {
    return "# " + spec.fileName() + "\n" + (text == null ? "" : text + "\n");
  }

  private static X509Certificate parseCa(byte[] pem, ClusterModel m) {
    try {
      List<X509Certificate> certs = Pem.parseCertificates(pem);
      if (certs.isEmpty() || certs.get(0).getBasicConstraints() < 0) {
        throw WorkerException.conflict("kubeconfig.not_a_ca", m.certDir().resolve("ca.crt") + " is not a CA certificate");
      }
      return certs.get(0);
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("kubeconfig.invalid_ca", "couldn't parse " + m.certDir().resolve("ca.crt"), e);
    }
  }

  private static PrivateKey parseKey(byte[] pem) {
    try {
      return Pem.parsePrivateKey(pem);
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("kubeconfig.invalid_ca", "couldn't parse the CA private key", e);
    }
  }
}
