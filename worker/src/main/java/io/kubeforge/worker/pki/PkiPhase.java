package io.kubeforge.worker.pki;

import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PkiPhase is {@code kubeadm init phase certs all} as a reconciler: it plans every certificate
 * of {@link CertCatalog} and the service-account key pair against what is on disk, then (unless
 * it is a dry run) generates all new keys and certificates in memory and only then writes them.
 *
 * <p>Per certificate: absent → created; present, signed by its CA, not expired and valid for
 * every expected SAN → kept; otherwise reissued with a reason (kubeadm would fail instead).
 * A key that does not match its certificate ({@code pki.key_mismatch}), a CA certificate that
 * is not a CA ({@code pki.not_a_ca}), unreadable files ({@code pki.unreadable_file}) and
 * symbolic links ({@code pki.symlink_in_path}) are conflicts and nothing is written.
 * With {@link PkiOptions#reissueOnNameChange()} a leaf whose SAN set differs in any way from
 * the configured one (an added {@code apiserver_cert_sans} entry, a new advertise address or
 * {@code control_plane_endpoint}, or a removed one) is reissued with its own key, unless
 * {@link PkiOptions#newKeyOnNameChange()}; kubeadm has no such path (its existing-certificate
 * check fails on a missing SAN and the documented fix is to delete the pair and re-run the phase). A CA
 * whose certificate exists without its key is external (kubeadm's External CA mode): nothing
 * of its tree is signed, its leaves are only checked and their problems reported.
 */
public final class PkiPhase {
  /** Largest certificate or key file read (1 MiB). */
  static final int MAX_FILE = 1 << 20;
  /** Kept certificates closer than this to expiry get a warning. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  private final Clock clock;
  private final KeyPairs.KeySource keys;

  /** Creates the production phase: system clock, freshly generated keys. */
  public PkiPhase() {
    this(Clock.systemUTC(), KeyPairs.secure());
  }

  /** Creates a phase with an injected clock and key source (tests: fixture keys, fixed time). */
  public PkiPhase(Clock clock, KeyPairs.KeySource keys) {
    this.clock = clock;
    this.keys = keys;
  }

  /** Action is what happened (or, in a dry run, would happen) to one certificate or key. */
  public enum Action {
    CREATED, KEPT, REISSUED, EXTERNAL;

    /** Returns the lower-case name used in results. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Planned is the decision for one certificate. */
  record Planned(CertSpec spec, Action action, String reason, OnDisk disk, boolean keepKey) {
    Planned(CertSpec spec, Action action, String reason, OnDisk disk) {
      this(spec, action, reason, disk, false);
    }

    boolean writes() {
      return action == Action.CREATED || action == Action.REISSUED;
    }
  }

  /** SaPlan is the decision for the service-account key pair. */
  record SaPlan(Action action, String reason, OnDisk key, Optional<byte[]> pubBytes) {}

  /**
   * Reconciles the certificate directory described by {@code options}; with {@code dryRun}
   * nothing is created, not even directories or lock files.
   */
  public PhaseResult run(PkiOptions options, boolean dryRun) {
    SafeFiles files = SafeFiles.under(options.certDir(), "pki", "cert_dir");
    try (FileReconciler r = FileReconciler.open("pki", dryRun, files)) {
      Plan plan = plan(options, files);
      if (dryRun) {
        return plan.result(null, List.of());
      }
      Materialized m = plan.materialize(keys);
      List<String> backups = write(r, files, plan, m, options.backup());
      return r.finish(plan.result(m, backups));
    }
  }

  private Plan plan(PkiOptions options, SafeFiles files) {
    Instant start = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    files.rootExists();
    List<CertSpec> specs = CertCatalog.forOptions(options);
    Plan plan = new Plan(options, start, files);
    for (CertSpec ca : CertCatalog.cas(specs)) {
      plan.add(planCa(ca, OnDisk.load(files, ca), start, plan.warnings));
    }
    for (CertSpec spec : specs) {
      if (!spec.isCa()) {
        plan.add(planLeaf(spec, OnDisk.load(files, spec), plan.planned.get(spec.caName()), plan, start));
      }
    }
    plan.sa = planServiceAccount(files);
    warnAboutKeptFiles(plan);
    return plan;
  }

  /**
   * Adds warnings that do not change the plan: kept private keys readable by others, and new
   * leaves that would outlive a kept CA.
   */
  private static void warnAboutKeptFiles(Plan plan) {
    List<String> keptKeys = new ArrayList<>();
    for (Planned p : plan.planned.values()) {
      if (!p.writes() && p.disk().key() != null) {
        keptKeys.add(p.spec().keyFile());
      }
      if (p.writes() && !p.spec().isCa()) {
        Planned ca = plan.planned.get(p.spec().caName());
        Instant leafEnd = plan.validity(p.spec()).notAfter();
        if (!ca.writes() && ca.disk().cert() != null && ca.disk().cert().getNotAfter().toInstant().isBefore(leafEnd)) {
          plan.warnings.add("certificate " + p.spec().name() + " will be valid until " + PkiReport.time(leafEnd)
              + " but its CA " + ca.spec().name() + " expires on "
              + PkiReport.time(ca.disk().cert().getNotAfter().toInstant()));
        }
      }
    }
    if (plan.sa.key().key() != null) {
      keptKeys.add(CertCatalog.SA_KEY);
    }
    for (String key : keptKeys) {
      plan.files.mode(key).filter(m -> m.stream().anyMatch(PkiPhase::groupOrOther)).ifPresent(m ->
          plan.warnings.add("private key " + plan.files.resolve(key) + " has mode "
              + java.nio.file.attribute.PosixFilePermissions.toString(m) + "; it should be rw------- (0600)"));
    }
  }

  private static boolean groupOrOther(PosixFilePermission p) {
    return !p.name().startsWith("OWNER_");
  }

  private Planned planCa(CertSpec ca, OnDisk disk, Instant now, List<String> warnings) {
    X509Certificate cert = disk.cert();
    if (cert == null) {
      if (disk.key() != null) {
        // a crash between the two files of a pair (or a lost certificate): the key is the
        // secret and the join pin is the hash of its public half, so keep it and make the
        // certificate again; leaves it signed still verify
        return new Planned(ca, Action.CREATED, "repaired: " + ca.keyFile() + " without " + ca.certFile()
            + "; certificate made again from the existing key (the CA public key and join pin stay the same)",
            disk, true);
      }
      return new Planned(ca, Action.CREATED, disk.absent() ? null : String.join("; ", disk.gaps()), disk);
    }
    if (cert.getBasicConstraints() < 0) {
      throw WorkerException.conflict("pki.not_a_ca", "certificate " + ca.certFile()
          + " is not a CA; remove it or replace it with the " + ca.name() + " CA certificate");
    }
    if (now.isAfter(cert.getNotAfter().toInstant()) || now.isBefore(cert.getNotBefore().toInstant())) {
      warnings.add("could not validate bounds for certificate " + ca.name() + ": it is valid from "
          + PkiReport.time(cert.getNotBefore().toInstant()) + " to " + PkiReport.time(cert.getNotAfter().toInstant()));
    }
    if (disk.gaps().contains(ca.keyFile() + " is empty")) {
      throw WorkerException.conflict("pki.unreadable_file", "private key " + ca.keyFile()
          + " is empty; restore the CA key, or remove the file to use the CA as an external CA");
    }
    if (disk.mismatch()) {
      // the key is written first, so it is the newer half of an interrupted write
      return new Planned(ca, Action.REISSUED, "repaired: " + ca.keyFile() + " does not match " + ca.certFile()
          + "; certificate made again from the key (the old one is backed up) and the CA's leaves reissued",
          disk, true);
    }
    if (disk.key() == null) {
      warnings.add("external CA mode for " + ca.name() + ": " + ca.keyFile()
          + " is absent, so nothing of this tree is signed; leaves are only checked");
      return new Planned(ca, Action.EXTERNAL, "CA key absent", disk);
    }
    return new Planned(ca, Action.KEPT, null, disk);
  }

  private Planned planLeaf(CertSpec spec, OnDisk disk, Planned ca, Plan plan, Instant now) {
    boolean external = ca.action() == Action.EXTERNAL;
    if (disk.absent()) {
      if (external) {
        plan.warnings.add(externalWarning(ca, spec, "certificate and key missing"));
        return new Planned(spec, Action.EXTERNAL, "certificate and key missing", disk);
      }
      return new Planned(spec, Action.CREATED, null, disk);
    }
    List<String> problems = new ArrayList<>(disk.gaps());
    X509Certificate cert = disk.cert();
    if (cert != null) {
      if (ca.writes()) {
        problems.add("new " + ca.spec().name());
      } else if (!CertChecks.signedBy(disk.chain(), ca.disk().cert())) {
        problems.add("not signed by " + ca.spec().name());
      }
      Instant notAfter = cert.getNotAfter().toInstant();
      if (now.isAfter(notAfter)) {
        problems.add("expired on " + PkiReport.time(notAfter));
      }
      if (plan.options.reissueOnNameChange()) {
        CertChecks.NameChange change = CertChecks.nameChange(cert, spec.altNames());
        if (!change.none()) {
          if (problems.isEmpty() && !external) {
            // only the names change: what kubeadm users do by hand (delete the pair, run the
            // phase again) but keeping the key unless a new one is asked for
            return new Planned(spec, Action.REISSUED, change.describe()
                + (plan.options.newKeyOnNameChange() ? "; new key" : "; same key"), disk,
                !plan.options.newKeyOnNameChange());
          }
          problems.add(change.describe());
        }
      } else {
        List<String> missing = CertChecks.missingSans(cert, spec.altNames());
        if (!missing.isEmpty()) {
          problems.add("missing SAN " + String.join(", ", missing));
        }
      }
      if (problems.isEmpty() && notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
        plan.warnings.add("certificate " + spec.name() + " expires on " + PkiReport.time(notAfter)
            + (external ? "; renew it with the external CA" : ""));
      }
    }
    String reason = problems.isEmpty() ? null : String.join("; ", problems);
    if (external) {
      if (reason != null) {
        plan.warnings.add(externalWarning(ca, spec, reason));
      }
      return new Planned(spec, Action.EXTERNAL, reason, disk);
    }
    return new Planned(spec, reason == null ? Action.KEPT : Action.REISSUED, reason, disk);
  }

  private static String externalWarning(Planned ca, CertSpec spec, String reason) {
    return "external CA " + ca.spec().name() + ": certificate " + spec.name() + " is not usable ("
        + reason + "); provide " + spec.certFile() + " and " + spec.keyFile() + " signed by that CA";
  }

  private SaPlan planServiceAccount(SafeFiles files) {
    String keyFile = CertCatalog.SA_KEY;
    String pubFile = CertCatalog.SA_PUB;
    OnDisk key = OnDisk.loadKey(files, keyFile);
    Optional<byte[]> pub = files.read(pubFile, MAX_FILE);
    if (key.key() == null) {
      String reason = !key.absent() ? String.join("; ", key.gaps())
          : pub.isPresent() ? "repaired: " + CertCatalog.SA_PUB + " without " + CertCatalog.SA_KEY + "; new pair" : null;
      return new SaPlan(Action.CREATED, reason, key, pub);
    }
    // kubeadm reuses a parseable sa.key and never looks at sa.pub; we also repair sa.pub
    if (pub.isEmpty() || pub.get().length == 0) {
      return new SaPlan(Action.REISSUED, CertCatalog.SA_PUB + " missing", key, pub);
    }
    List<PublicKey> keysInPub;
    try {
      keysInPub = Pem.parsePublicKeys(pub.get());
    } catch (IllegalArgumentException e) {
      return new SaPlan(Action.REISSUED, CertCatalog.SA_PUB + " unreadable: " + e.getMessage(), key, pub);
    }
    if (keysInPub.stream().noneMatch(k -> KeyPairs.matches(key.key(), k))) {
      return new SaPlan(Action.REISSUED, CertCatalog.SA_PUB + " does not hold the public key of " + CertCatalog.SA_KEY, key, pub);
    }
    return new SaPlan(Action.KEPT, null, key, pub);
  }

  /** Materialized holds the keys and certificates generated for a plan, in memory only. */
  record Materialized(Map<String, KeyPair> newKeys, Map<String, X509Certificate> certs, KeyPair saKey) {}

  private static List<String> write(FileReconciler r, SafeFiles files, Plan plan, Materialized m, boolean backup) {
    List<FileReconciler.Desired> writes = new ArrayList<>();
    for (Planned p : plan.planned.values()) {
      if (p.writes()) {
        String unit = p.spec().name();
        if (!p.keepKey()) {
          KeyPair kp = m.newKeys().get(p.spec().name());
          writes.add(new FileReconciler.Desired(p.spec().keyFile(), ascii(Pem.encodePrivateKey(kp.getPrivate())),
              SafeFiles.PRIVATE, unit));
        }
        writes.add(new FileReconciler.Desired(p.spec().certFile(),
            ascii(Pem.encodeCertificate(m.certs().get(p.spec().name()))), SafeFiles.PUBLIC, unit));
      }
    }
    if (plan.sa.action() == Action.CREATED) {
      writes.add(new FileReconciler.Desired(CertCatalog.SA_KEY, ascii(Pem.encodePrivateKey(m.saKey().getPrivate())),
          SafeFiles.PRIVATE, "sa"));
    }
    if (plan.sa.action() != Action.KEPT) {
      PublicKey pub = plan.sa.action() == Action.CREATED ? m.saKey().getPublic() : plan.sa.key().publicKey();
      // kubeadm writes sa.pub through keyutil.WriteKey, hence 0600
      writes.add(new FileReconciler.Desired(CertCatalog.SA_PUB, ascii(Pem.encodePublicKey(pub)), SafeFiles.PRIVATE, "sa"));
    }
    return r.commit(files, writes, backup, plan.start).stream().map(Object::toString).toList();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** Plan is the outcome of planning: per-certificate decisions plus warnings. */
  final class Plan {
    final PkiOptions options;
    final Instant start;
    final SafeFiles files;
    final Map<String, Planned> planned = new LinkedHashMap<>();
    final List<String> warnings = new ArrayList<>();
    SaPlan sa;

    Plan(PkiOptions options, Instant start, SafeFiles files) {
      this.options = options;
      this.start = start;
      this.files = files;
      if (options.certificateValidity().compareTo(options.caCertificateValidity()) > 0) {
        warnings.add("certificate_validity is longer than ca_certificate_validity; "
            + "leaf certificates will outlive their CA");
      }
    }

    void add(Planned p) {
      planned.put(p.spec().name(), p);
    }

    Validity validity(CertSpec spec) {
      return Validity.startingAt(start, spec.isCa() ? options.caCertificateValidity() : options.certificateValidity());
    }

    Materialized materialize(KeyPairs.KeySource source) {
      long needed = planned.values().stream().filter(p -> p.writes() && !p.keepKey()).count() + (sa.action() == Action.CREATED ? 1 : 0);
      java.util.Iterator<KeyPair> fresh = source.next(options.keyAlgorithm(), (int) needed).iterator();
      Map<String, KeyPair> newKeys = new LinkedHashMap<>();
      Map<String, X509Certificate> certs = new LinkedHashMap<>();
      Map<String, PrivateKey> caKeys = new LinkedHashMap<>();
      for (Planned p : planned.values()) {
        CertSpec spec = p.spec();
        if (!p.writes()) {
          if (p.disk().cert() != null) {
            certs.put(spec.name(), p.disk().cert());
          }
          if (spec.isCa() && p.disk().key() != null) {
            caKeys.put(spec.name(), p.disk().key());
          }
          continue;
        }
        KeyPair kp = p.keepKey() ? new KeyPair(p.disk().publicKey(), p.disk().key()) : fresh.next();
        newKeys.put(spec.name(), kp);
        if (spec.isCa()) {
          certs.put(spec.name(), CertificateFactory.selfSignedCa(spec, kp, validity(spec)));
          caKeys.put(spec.name(), kp.getPrivate());
        } else {
          certs.put(spec.name(), CertificateFactory.issue(spec, kp.getPublic(), certs.get(spec.caName()),
              caKeys.get(spec.caName()), validity(spec)));
        }
      }
      KeyPair saKey = sa.action() == Action.CREATED ? fresh.next() : null;
      return new Materialized(newKeys, certs, saKey);
    }

    PhaseResult result(Materialized m, List<String> backups) {
      PkiReport report = new PkiReport(this, m, backups);
      boolean changed = planned.values().stream().anyMatch(Planned::writes) || sa.action() != Action.KEPT;
      return new PhaseResult(changed, warnings, report.result(), report.diff());
    }
  }
}
