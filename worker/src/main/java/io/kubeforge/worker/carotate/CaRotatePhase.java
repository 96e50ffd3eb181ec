package io.kubeforge.worker.carotate;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.Defaults;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.kube.ClusterAccess;
import io.kubeforge.worker.kube.ClusterInfoSigner;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.pki.CaCertHash;
import io.kubeforge.worker.pki.CertCatalog;
import io.kubeforge.worker.pki.CertChecks;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.CertificateFactory;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.pki.Validity;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.GoDuration;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** CaRotatePhase serves {@code POST /v1/ca-rotate}; see the package documentation. */
public final class CaRotatePhase {
  /** The fields of the request. */
  public static final Set<String> FIELDS;
  /** Default kubeconfigs whose trust (and embedded client certificate) follow the kubernetes CA. */
  public static final List<String> KUBECONFIGS = List.of("admin.conf", "super-admin.conf",
      "controller-manager.conf", "scheduler.conf", "kubelet.conf");
  /** The folder under {@code cert_dir} that holds a rotation's state. */
  public static final String ROTATION_DIR = "rotation";
  private static final String AREA = "ca_rotate";
  private static final String INVALID = "ca_rotate.invalid";
  private static final int MAX_FILE = 1 << 20;

  static {
    Set<String> f = new HashSet<>(ClusterAccess.FIELDS);
    f.addAll(Set.of("phase", "ca", "cert_dir", "kubeconfigs", "new_cert", "new_key", "key_algorithm",
        "ca_certificate_validity", "certificate_validity", "backup", "force", "update_cluster_info"));
    FIELDS = Set.copyOf(f);
  }

  /** The three steps. */
  enum Step {
    PREPARE, REISSUE, FINISH;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One rotatable CA.
   *
   * @param id the option value and the folder under {@code rotation/}
   * @param spec the CA in {@link CertCatalog}; null for the service-account key pair
   */
  record Ca(String id, CertSpec spec) {
    static final List<Ca> ALL = List.of(new Ca("kubernetes", CertCatalog.CA),
        new Ca("front-proxy", CertCatalog.FRONT_PROXY_CA), new Ca("etcd", CertCatalog.ETCD_CA),
        new Ca("service-account", null));

    boolean serviceAccount() {
      return spec == null;
    }

    String dir() {
      return ROTATION_DIR + "/" + id + "/";
    }

    /** The leaves of this CA in kubeadm's catalog, in catalog order. */
    List<CertSpec> leaves() {
      return spec == null ? List.of() : CertCatalog.leavesOf(CertCatalog.all(), spec.name());
    }
  }

  /** One file the call looked at: its row in the result and, when it changes, what to write. */
  private record Row(SafeFiles target, String name, String action, String reason, FileReconciler.Desired desired) {
    Map<String, Object> fact() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", target.resolve(name).toString());
      m.put("action", action);
      if (reason != null) {
        m.put("reason", reason);
      }
      return m;
    }
  }

  private final Clock clock;
  private final KeyPairs.KeySource keys;

  /** The production phase: system clock, fresh keys. */
  public CaRotatePhase() {
    this(Clock.systemUTC(), KeyPairs.secure());
  }

  /** A phase with an injected clock and key source (tests). */
  public CaRotatePhase(Clock clock, KeyPairs.KeySource keys) {
    this.clock = clock;
    this.keys = keys;
  }

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    RequestFields f = RequestFields.of(body, FIELDS);
    Step step = parseStep(f.requiredString("phase"));
    String caId = f.string("ca").orElse("kubernetes");
    Ca ca = Ca.ALL.stream().filter(c -> c.id().equals(caId)).findFirst().orElseThrow(() -> WorkerException.badInput(
        INVALID, "ca", "'" + caId + "' must be one of kubernetes, front-proxy, etcd, service-account"));
    Path certDir = InputPaths.directory(f.string("cert_dir").orElse(Defaults.CERT_DIR), "cert_dir");
    Path kubeconfigDir = InputPaths.directory(f.string("kubeconfig_dir").orElse(Defaults.KUBECONFIG_DIR), "kubeconfig_dir");
    List<String> kubeconfigs = body.get("kubeconfigs") != null ? f.stringList("kubeconfigs") : KUBECONFIGS;
    for (int i = 0; i < kubeconfigs.size(); i++) {
      String k = kubeconfigs.get(i);
      if (k.isEmpty() || k.contains("/") || k.startsWith(".")) {
        throw WorkerException.badInput(INVALID, "kubeconfigs[" + i + "]", "'" + k + "' must be a file name in kubeconfig_dir");
      }
    }
    Inputs in = new Inputs(step, ca, certDir, kubeconfigDir, kubeconfigs,
        f.string("new_cert").map(s -> parseNewCert(s)).orElse(null),
        f.string("new_key").map(s -> parseNewKey(s)).orElse(null),
        f.string("key_algorithm").map(a -> KeyAlgorithm.byId(a).orElseThrow(() -> WorkerException.badInput(INVALID,
            "key_algorithm", "'" + a + "' must be one of " + KeyAlgorithm.ids()))).orElse(null),
        duration(f, "ca_certificate_validity", Defaults.CA_VALIDITY),
        duration(f, "certificate_validity", Defaults.CERT_VALIDITY),
        f.bool("backup", true), f.bool("force", false), f.bool("update_cluster_info", false));
    if (in.newKey != null && in.newCert != null && !KeyPairs.matches(in.newKey, in.newCert.getPublicKey())) {
      throw WorkerException.badInput(INVALID, "new_key", "does not match new_cert");
    }
    if (ca.serviceAccount() && in.newCert != null) {
      throw WorkerException.badInput(INVALID, "new_cert", "the service account has no certificate; pass new_key only");
    }
    return new Run(in, dryRun, f).run();
  }

  private record Inputs(Step step, Ca ca, Path certDir, Path kubeconfigDir, List<String> kubeconfigs,
                        X509Certificate newCert, PrivateKey newKey, KeyAlgorithm keyAlgorithm,
                        Duration caValidity, Duration validity, boolean backup, boolean force,
                        boolean updateClusterInfo) {}

  private static Step parseStep(String s) {
    for (Step st : Step.values()) {
      if (st.label().equals(s)) {
        return st;
      }
    }
    throw WorkerException.badInput(INVALID, "phase", "'" + s + "' must be one of prepare, reissue, finish");
  }

  private static Duration duration(RequestFields f, String field, Duration dflt) {
    Optional<String> raw = f.string(field);
    if (raw.isEmpty()) {
      return dflt;
    }
    Duration d;
    try {
      d = GoDuration.parse(raw.get());
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(INVALID, field, "'" + raw.get() + "' is not a duration (e.g. 8760h)");
    }
    if (d.isNegative() || d.isZero() || d.compareTo(Defaults.MAX_VALIDITY) > 0) {
      throw WorkerException.badInput(INVALID, field, "'" + raw.get() + "' must be positive and at most "
          + GoDuration.format(Defaults.MAX_VALIDITY));
    }
    return d;
  }

  private static X509Certificate parseNewCert(String pem) {
    List<X509Certificate> certs;
    try {
      certs = Pem.parseCertificates(pem.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(INVALID, "new_cert", "is not a PEM certificate: " + e.getMessage());
    }
    if (certs.size() != 1 || certs.get(0).getBasicConstraints() < 0) {
      throw WorkerException.badInput(INVALID, "new_cert", "must be exactly one CA certificate");
    }
    return certs.get(0);
  }

  private static PrivateKey parseNewKey(String pem) {
    try {
      return Pem.parsePrivateKey(pem.getBytes(StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(INVALID, "new_key", "is not a PEM private key");
    }
  }

  /** One call's work: read, decide, then write through one reconciler. */
  private final class Run {
    private final Inputs in;
    private final boolean dryRun;
    private final RequestFields fields;
    private final SafeFiles pki;
    private final SafeFiles kc;
    private final Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    private final List<Row> rows = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final Map<String, Object> result = new LinkedHashMap<>();

    Run(Inputs in, boolean dryRun, RequestFields fields) {
      this.in = in;
      this.dryRun = dryRun;
      this.fields = fields;
      this.pki = SafeFiles.under(in.certDir, AREA, "cert_dir");
      this.kc = SafeFiles.under(in.kubeconfigDir, AREA, "kubeconfig_dir");
    }

    PhaseResult run() {
      try (FileReconciler r = FileReconciler.open(AREA, dryRun, pki, kc)) {
        result.put("phase", in.step.label());
        result.put("ca", in.ca.id());
        String trustPem = in.ca.serviceAccount() ? planServiceAccount() : planCa();
        if (trustPem != null && in.updateClusterInfo) {
          result.put("cluster_info", updateClusterInfo(trustPem));
        }
        boolean changed = false;
        List<String> backups = new ArrayList<>();
        for (SafeFiles t : List.of(pki, kc)) {
          List<FileReconciler.Desired> writes = rows.stream().filter(w -> w.target == t && w.desired != null)
              .map(Row::desired).toList();
            r.commit(t, writes, in.backup, now).forEach(p -> backups.add(p.toString()));
        }
        changed |= rows.stream().anyMatch(w -> !w.action.equals("kept"));
        changed |= Boolean.TRUE.equals(result.get("cluster_info") instanceof Map<?, ?> m ? m.get("changed") : null);
        result.put("files", rows.stream().map(Row::fact).toList());
        result.put("backups", backups);
        return r.finish(new PhaseResult(changed, warnings, result, diff()));
      }
    }

    private Map<String, Object> diff() {
      List<String> before = new ArrayList<>();
      List<String> after = new ArrayList<>();
      for (Row w : rows) {
        if (!w.action.equals("kept")) {
          String path = w.target.resolve(w.name).toString();
          before.add(path + ": " + (w.action.equals("created") ? "absent" : "present"));
          after.add(path + ": " + w.action + (w.reason == null ? "" : " (" + w.reason + ")"));
        }
      }
      if (before.isEmpty()) {
        return null;
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("before", String.join("\n", before) + "\n");
      d.put("after", String.join("\n", after) + "\n");
      return d;
    }

    // ---- certificate CAs (kubernetes, front-proxy, etcd) ----

    /** Plans the step for a certificate CA; returns the trust the cluster-info should carry. */
    private String planCa() {
      CertSpec spec = in.ca.spec();
      List<X509Certificate> trust = certs(pki, spec.certFile()).orElseThrow(() -> WorkerException.conflict(
          "ca_rotate.no_ca", "cert_dir", pki.resolve(spec.certFile()) + " is missing: nothing to rotate"));
      Optional<PrivateKey> caKey = key(pki, spec.keyFile());
      String newCrt = in.ca.dir() + "new.crt";
      String newKeyFile = in.ca.dir() + "new.key";
      Optional<X509Certificate> storedCert = certs(pki, newCrt).map(l -> l.get(0));
      Optional<PrivateKey> storedKey = key(pki, newKeyFile);
      X509Certificate newCert = storedCert.orElse(in.newCert);
      PrivateKey newKey = storedKey.orElse(in.newKey);
      if (in.newCert != null && storedCert.isPresent() && !sameCert(in.newCert, storedCert.get())) {
        throw WorkerException.conflict("ca_rotate.other_rotation", "new_cert", "a rotation with another new CA is "
            + "under way in " + pki.resolve(in.ca.dir()) + "; finish it, or remove that folder to start again");
      }
      if (newCert != null && caKey.isPresent() && newKey == null) {
        throw WorkerException.badInput(INVALID, "new_key", "this node holds " + spec.keyFile()
            + ", so it needs the new CA's key too (the new_key of the first control plane)");
      }
      if (newCert == null) {
        if (in.step != Step.PREPARE) {
          throw notPrepared();
        }
        if (caKey.isEmpty()) {
          throw WorkerException.badInput(RequestFields.MISSING_FIELD, "new_cert", "this node has no "
              + spec.keyFile() + " (external CA or a worker): pass the new CA from the first control plane");
        }
        KeyAlgorithm alg = in.keyAlgorithm != null ? in.keyAlgorithm
            : KeyAlgorithm.of(trust.get(0).getPublicKey()).orElse(KeyAlgorithm.DEFAULT);
        KeyPair kp = dryRun ? null : keys.next(alg);
        if (kp != null) {
          newKey = kp.getPrivate();
          newCert = CertificateFactory.selfSignedCa(spec, kp, Validity.startingAt(now, in.caValidity));
        }
      }
      if (newKey != null && newCert != null && !KeyPairs.matches(newKey, newCert.getPublicKey())) {
        throw WorkerException.conflict("ca_rotate.key_mismatch", pki.resolve(newKeyFile) + " does not match "
            + pki.resolve(newCrt) + "; remove both to start the rotation again");
      }
      X509Certificate n = newCert;
      List<X509Certificate> old = trust.stream().filter(c -> n == null || !sameCert(c, n)).toList();
      if (in.step != Step.FINISH && old.isEmpty()) {
        throw WorkerException.conflict("ca_rotate.finished", "the rotation of the " + in.ca.id() + " CA is finished ("
            + pki.resolve(spec.certFile()) + " is the new CA alone); remove " + pki.resolve(in.ca.dir())
            + " to start another one");
      }
      if (in.step != Step.PREPARE && (n == null || trust.stream().noneMatch(c -> sameCert(c, n)))) {
        throw notPrepared();
      }
      // the rotation's state first, so a stopped run finds the new CA again
      if (newCert != null || dryRun) {
        if (newKey != null && storedKey.isEmpty()) {
          rows.add(new Row(pki, newKeyFile, "created", "new " + in.ca.id() + " CA",
              new FileReconciler.Desired(newKeyFile, ascii(Pem.encodePrivateKey(newKey)), SafeFiles.PRIVATE, "new")));
        } else if (newKey == null && caKey.isPresent() && dryRun) {
          rows.add(new Row(pki, newKeyFile, "created", "new " + in.ca.id() + " CA", null));
        }
        if (storedCert.isEmpty()) {
          rows.add(new Row(pki, newCrt, "created", "new " + in.ca.id() + " CA", newCert == null ? null
              : new FileReconciler.Desired(newCrt, ascii(Pem.encodeCertificate(newCert)), SafeFiles.PUBLIC, "new")));
        }
      }
      result.put("rotation_dir", pki.resolve(in.ca.dir()).toString());
      if (newCert == null) {
        // dry run of a first prepare: the new CA does not exist yet
        result.put("ca_cert_hashes", old.stream().map(CaCertHash::of).toList());
        rows.add(new Row(pki, spec.certFile(), "updated", "trust the old and the new CA", null));
        if (in.ca.id().equals("kubernetes")) {
          in.kubeconfigs.stream().filter(kc::exists).forEach(name ->
              rows.add(new Row(kc, name, "updated", "trusts the old and the new CA", null)));
        }
        return null;
      }
      result.put("new_cert", Pem.encodeCertificate(newCert));
      List<X509Certificate> target = new ArrayList<>(in.step == Step.FINISH ? List.of() : old);
      target.add(newCert);
      byte[] trustPem = bundle(target);
      String why = in.step == Step.FINISH ? "the new CA alone" : "trust the old and the new CA";
      if (in.step == Step.REISSUE) {
        reissueLeaves(newCert, newKey, old);
      }
      if (in.step == Step.FINISH) {
        List<String> pending = pendingLeaves(newCert, caKey.isPresent());
        if (!pending.isEmpty() && !in.force) {
          throw WorkerException.conflict("ca_rotate.not_reissued", "not finishing: still signed by the old "
              + in.ca.id() + " CA: " + String.join(", ", pending) + ". Run phase=reissue on this node first "
              + "(force=true drops the old CA anyway)");
        }
        pending.forEach(p -> warnings.add(p + " is not signed by the new CA and will stop working"));
      }
      file(pki, spec.certFile(), trustPem, SafeFiles.PUBLIC, why, in.step == Step.FINISH ? "ca" : null);
      if (in.step == Step.FINISH && caKey.isPresent()) {
        file(pki, spec.keyFile(), ascii(Pem.encodePrivateKey(newKey)), SafeFiles.PRIVATE, "the new CA's key", "ca");
      }
      if (in.ca.id().equals("kubernetes")) {
        kubeconfigs(trustPem, in.step == Step.REISSUE ? newCert : null, newKey, old);
      }
      result.put("ca_cert_hashes", target.stream().map(CaCertHash::of).toList());
      result.put("state", in.step == Step.PREPARE ? "prepared" : in.step == Step.REISSUE ? "reissued" : "finished");
      if (!in.ca.id().equals("kubernetes") || in.step == Step.FINISH || !caKey.isPresent()) {
        result.put("controller_manager_extra_args", Map.of());
      } else {
        // kube-controller-manager's signer reads exactly one certificate: during the rotation
        // it signs with the new CA from the rotation folder
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("cluster-signing-cert-file", pki.resolve(newCrt).toString());
        args.put("cluster-signing-key-file", pki.resolve(newKeyFile).toString());
        result.put("controller_manager_extra_args", args);
      }
      return new String(trustPem, StandardCharsets.US_ASCII);
    }

    private WorkerException notPrepared() {
      return WorkerException.conflict("ca_rotate.not_prepared", "phase", "no rotation of the " + in.ca.id()
          + " CA is prepared in " + pki.resolve(in.ca.dir()) + "; run phase=prepare first");
    }

    private void reissueLeaves(X509Certificate newCert, PrivateKey newKey, List<X509Certificate> old) {
      for (CertSpec leaf : in.ca.leaves()) {
        Optional<List<X509Certificate>> chain = certs(pki, leaf.certFile());
        if (chain.isEmpty()) {
          continue;
        }
        X509Certificate cert = chain.get().get(0);
        if (CertChecks.signedBy(List.of(cert), newCert)) {
          rows.add(new Row(pki, leaf.certFile(), "kept", null, null));
        } else if (newKey == null) {
          warnings.add(pki.resolve(leaf.certFile()) + " is not signed by the new CA and this node has no new_key");
          rows.add(new Row(pki, leaf.certFile(), "kept", "no CA key on this node", null));
        } else {
          X509Certificate re = CertificateFactory.reissue(cert, newCert, newKey, Validity.startingAt(now, in.validity));
          rows.add(new Row(pki, leaf.certFile(), "reissued", signedByOld(cert, old),
              new FileReconciler.Desired(leaf.certFile(), ascii(Pem.encodeCertificate(re)), SafeFiles.PUBLIC)));
        }
      }
    }

    private String signedByOld(X509Certificate cert, List<X509Certificate> old) {
      return old.stream().anyMatch(o -> CertChecks.signedBy(List.of(cert), o)) ? "signed by the old CA"
          : "not signed by the new CA";
    }

    /** Leaves and kubeconfig client certificates of this CA not yet signed by the new CA. */
    private List<String> pendingLeaves(X509Certificate newCert, boolean holdsKey) {
      List<String> out = new ArrayList<>();
      if (holdsKey) {
        for (CertSpec leaf : in.ca.leaves()) {
          certs(pki, leaf.certFile()).filter(c -> !CertChecks.signedBy(List.of(c.get(0)), newCert))
              .ifPresent(c -> out.add(pki.resolve(leaf.certFile()).toString()));
        }
      }
      if (in.ca.id().equals("kubernetes") && holdsKey) {
        // on a node without the CA key (a worker) the kubelet's client certificate is renewed
        // through a CSR, and this node's trust does not decide whether the API server accepts it
        for (String name : in.kubeconfigs) {
          Optional<KubeconfigFile> k = KubeconfigFile.read(kc, name, MAX_FILE);
          k.flatMap(KubeconfigFile::clientCert).filter(c -> !CertChecks.signedBy(List.of(c), newCert))
              .ifPresent(c -> out.add(kc.resolve(name).toString()));
        }
      }
      return out;
    }

    /** Every kubeconfig's trust becomes {@code trustPem}; with {@code signer}, embedded clients are re-signed. */
    private void kubeconfigs(byte[] trustPem, X509Certificate signer, PrivateKey signerKey, List<X509Certificate> old) {
      String trustData = Base64.getEncoder().encodeToString(trustPem);
      for (String name : in.kubeconfigs) {
        Optional<KubeconfigFile> k = KubeconfigFile.read(kc, name, MAX_FILE);
        if (k.isEmpty()) {
          continue;
        }
        KubeconfigFile file = k.get();
        List<String> reasons = new ArrayList<>();
        String text = file.withCaData(trustData);
        if (!text.equals(file.text())) {
          reasons.add(in.step == Step.FINISH ? "trusts the new CA alone" : "trusts the old and the new CA");
        }
        Optional<X509Certificate> client = file.clientCert();
        if (signer != null && client.isPresent() && !CertChecks.signedBy(List.of(client.get()), signer)) {
          if (signerKey == null) {
            warnings.add(kc.resolve(name) + ": its client certificate is not signed by the new CA and this node has no new_key");
          } else {
            X509Certificate re = CertificateFactory.reissue(client.get(), signer, signerKey,
                Validity.startingAt(now, in.validity));
            text = KubeconfigFile.replace(text, file.clientData(),
                Base64.getEncoder().encodeToString(ascii(Pem.encodeCertificate(re))), kc.resolve(name));
            reasons.add("client certificate " + signedByOld(client.get(), old));
          }
        }
        byte[] content = text.getBytes(StandardCharsets.UTF_8);
        if (reasons.isEmpty()) {
          rows.add(new Row(kc, name, "kept", null, null));
        } else {
          // kubeconfigs hold a client key: 0600, as kubeadm writes them
          rows.add(new Row(kc, name, in.step == Step.REISSUE && reasons.size() > 1 || reasons.get(0).startsWith("client")
              ? "reissued" : "updated", String.join("; ", reasons),
              new FileReconciler.Desired(name, content, SafeFiles.PRIVATE)));
        }
      }
    }

    // ---- service account ----

    private String planServiceAccount() {
      String keyFile = CertCatalog.SA_KEY;
      String pubFile = CertCatalog.SA_PUB;
      String newKeyFile = in.ca.dir() + "new.key";
      PrivateKey current = key(pki, keyFile).orElseThrow(() -> WorkerException.conflict("ca_rotate.no_ca", "cert_dir",
          pki.resolve(keyFile) + " is missing: nothing to rotate"));
      List<PublicKey> pubs = pki.read(pubFile, MAX_FILE).map(b -> {
        try {
          return Pem.parsePublicKeys(b);
        } catch (IllegalArgumentException e) {
          throw WorkerException.conflict("ca_rotate.unreadable_file", pki.resolve(pubFile) + ": " + e.getMessage());
        }
      }).orElse(List.of());
      Optional<PrivateKey> stored = key(pki, newKeyFile);
      if (in.newKey != null && stored.isPresent() && !KeyPairs.matches(in.newKey, KeyPairs.publicKeyOf(stored.get()))) {
        throw WorkerException.conflict("ca_rotate.other_rotation", "new_key", "a rotation with another new key is "
            + "under way in " + pki.resolve(in.ca.dir()) + "; finish it, or remove that folder to start again");
      }
      PrivateKey newKey = stored.orElse(in.newKey);
      if (newKey == null) {
        if (in.step != Step.PREPARE) {
          throw notPrepared();
        }
        KeyAlgorithm alg = in.keyAlgorithm != null ? in.keyAlgorithm
            : KeyAlgorithm.of(KeyPairs.publicKeyOf(current)).orElse(KeyAlgorithm.DEFAULT);
        newKey = dryRun ? null : keys.next(alg).getPrivate();
      }
      if (stored.isEmpty()) {
        rows.add(new Row(pki, newKeyFile, "created", "new service-account key", newKey == null ? null
            : new FileReconciler.Desired(newKeyFile, ascii(Pem.encodePrivateKey(newKey)), SafeFiles.PRIVATE)));
      }
      result.put("rotation_dir", pki.resolve(in.ca.dir()).toString());
      if (newKey == null) {
        rows.add(new Row(pki, pubFile, "updated", "the old and the new public key", null));
        return null;
      }
      PublicKey newPub = KeyPairs.publicKeyOf(newKey);
      boolean signingWithNew = KeyPairs.matches(current, newPub);
      List<PublicKey> old = new ArrayList<>();
      if (!signingWithNew) {
        old.add(KeyPairs.publicKeyOf(current));
      }
      for (PublicKey p : pubs) {
        if (!p.equals(newPub) && old.stream().noneMatch(p::equals) && in.step != Step.FINISH && signingWithNew) {
          old.add(p);
        }
      }
      if (in.step == Step.PREPARE && signingWithNew && pubs.stream().allMatch(newPub::equals)) {
        throw WorkerException.conflict("ca_rotate.finished", "the rotation of the service-account key is finished ("
            + pki.resolve(keyFile) + " is the new key and " + pubFile + " holds it alone); remove "
            + pki.resolve(in.ca.dir()) + " to start another one");
      }
      if (in.step != Step.PREPARE && pubs.stream().noneMatch(newPub::equals)) {
        throw notPrepared();
      }
      if (in.step == Step.FINISH && !signingWithNew) {
        throw WorkerException.conflict("ca_rotate.not_reissued", "not finishing: " + pki.resolve(keyFile)
            + " is still the old key; run phase=reissue on this node first");
      }
      if (in.step != Step.PREPARE) {
        file(pki, keyFile, ascii(Pem.encodePrivateKey(newKey)), SafeFiles.PRIVATE, "the new signing key", "sa");
      }
      List<PublicKey> target = new ArrayList<>(in.step == Step.FINISH ? List.of() : old);
      target.add(newPub);
      StringBuilder pem = new StringBuilder();
      target.forEach(p -> pem.append(Pem.encodePublicKey(p)));
      // kubeadm writes sa.pub through keyutil.WriteKey, hence 0600
      file(pki, pubFile, ascii(pem.toString()), SafeFiles.PRIVATE,
          in.step == Step.FINISH ? "the new public key alone" : "the old and the new public key", "sa");
      result.put("state", in.step == Step.PREPARE ? "prepared" : in.step == Step.REISSUE ? "reissued" : "finished");
      return null;
    }

    // ---- helpers ----

    /** Adds a row comparing {@code content} with the file on disk; only a difference writes. */
    private void file(SafeFiles t, String name, byte[] content, Set<PosixFilePermission> mode, String why, String unit) {
      FileReconciler.Compared c = FileReconciler.compare(t, name, content, MAX_FILE, Arrays::equals);
      if (c.change() == FileReconciler.Change.KEPT) {
        rows.add(new Row(t, name, "kept", null, null));
      } else {
        rows.add(new Row(t, name, c.change().label(), why, new FileReconciler.Desired(name, content, mode, unit)));
      }
    }

    private Map<String, Object> updateClusterInfo(String trustPem) {
      Map<String, Object> fact = new LinkedHashMap<>();
      try (ClusterAccess.Opened access = ClusterAccess.open(fields, dryRun)) {
        KubeClient kube = access.client();
        Optional<ObjectNode> cm = kube.get("v1", "ConfigMap", "kube-public", "cluster-info");
        if (cm.isEmpty()) {
          warnings.add("kube-public/cluster-info does not exist; nothing to update");
          fact.put("action", "absent");
          fact.put("changed", false);
          return fact;
        }
        String text = cm.get().path("data").path("kubeconfig").asText("");
        KubeconfigFile k = KubeconfigFile.parse(text, Path.of("kube-public/cluster-info"));
        String updated = k.withCaData(Base64.getEncoder().encodeToString(trustPem.getBytes(StandardCharsets.US_ASCII)));
        boolean changed = !updated.equals(text);
        if (changed) {
          ObjectNode patch = JsonNodeFactory.instance.objectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
          patch.putObject("metadata").put("name", "cluster-info").put("namespace", "kube-public");
          patch.putObject("data").put("kubeconfig", updated);
          kube.apply(patch, true, dryRun, "kubeforge-ca-rotate");
          if (!dryRun) {
            // the JWS signatures of the bootstrap tokens: the controller-manager's bootstrap
            // signer renews them; sign ourselves if it has not within 10 s
            List<ClusterInfoSigner.Signature> sigs = ClusterInfoSigner.ensure(kube, ClusterInfoSigner.Mode.AUTO,
                Duration.ofSeconds(10), false);
            fact.put("signatures", sigs.stream().map(ClusterInfoSigner.Signature::fact).toList());
          }
        }
        fact.put("action", changed ? "updated" : "unchanged");
        fact.put("changed", changed);
        return fact;
      }
    }
  }

  static boolean sameCert(X509Certificate a, X509Certificate b) {
    try {
      return Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (CertificateEncodingException e) {
      return false;
    }
  }

  static byte[] bundle(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    certs.forEach(c -> sb.append(Pem.encodeCertificate(c)));
    return ascii(sb.toString());
  }

  private static Optional<List<X509Certificate>> certs(SafeFiles t, String name) {
    Optional<byte[]> b = t.read(name, MAX_FILE);
    if (b.isEmpty() || b.get().length == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pem.parseCertificates(b.get()));
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("ca_rotate.unreadable_file", t.resolve(name) + " is not a PEM certificate: "
          + e.getMessage() + "; nothing was written");
    }
  }

  private static Optional<PrivateKey> key(SafeFiles t, String name) {
    Optional<byte[]> b = t.read(name, MAX_FILE);
    if (b.isEmpty() || b.get().length == 0) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pem.parsePrivateKey(b.get()));
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("ca_rotate.unreadable_file", t.resolve(name) + " is not a PEM private key; "
          + "nothing was written");
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
