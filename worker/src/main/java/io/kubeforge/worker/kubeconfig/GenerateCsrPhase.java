package io.kubeforge.worker.kubeconfig;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.pki.CertCatalog;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.CertificateFactory;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GenerateCsrPhase is {@code kubeadm certs generate-csr} (v1.34 {@code CreateDefaultKeysAndCSRFiles}
 * and {@code CreateDefaultKubeConfigsAndCSRFiles}) for kubeadm's external-CA mode: for every leaf
 * certificate of the tree a new key {@code <cert_dir>/<base>.key} and a request
 * {@code <cert_dir>/<base>.csr} with the configured subject and SANs; for every kubeconfig a file
 * holding the server, the names and the new client key (no CA and no certificate yet) and
 * {@code <kubeconfig_dir>/<name>.csr}. Everything 0600, a key and its request written as one unit.
 *
 * <p>kubeadm fails when a key, request or kubeconfig already exists. Here a pair that is already
 * there and belongs together (the key's public half is the request's) is kept, so a re-run is
 * unchanged; any other existing file is a 409 {@code csr.exists} and nothing is written. The etcd
 * requests are left out with an external etcd (kubeadm makes them anyway).
 */
public final class GenerateCsrPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run");
  private static final int MAX_FILE = 1 << 20;

  private final KeyPairs.KeySource keys;
  private final Clock clock;

  /** Creates the phase with the worker's keys and the system clock. */
  public GenerateCsrPhase() {
    this(KeyPairs.secure(), Clock.systemUTC());
  }

  /** Creates the phase with an injected key source and clock (tests). */
  public GenerateCsrPhase(KeyPairs.KeySource keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
  }

  /** One request to make: where the key goes, where the request goes, and for whom. */
  private record Item(String name, String kind, SafeFiles dir, String keyFile, String csrFile, CertSpec spec,
                      String server) {}

  /** Runs the capability; see the class comment. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    RequestOptions.fields(body, OWN_FIELDS);
    SafeFiles pki = SafeFiles.under(m.certDir(), "generate-csr", "cert_dir");
    SafeFiles out = SafeFiles.under(m.kubeconfigDir(), "generate-csr", "kubeconfig_dir");
    try (FileReconciler r = FileReconciler.open("generate-csr", dryRun, pki, out)) {
      return r.finish(runLocked(r, pki, out, m, dryRun));
    }
  }

  private PhaseResult runLocked(FileReconciler rec, SafeFiles pki, SafeFiles out, ClusterModel m, boolean dryRun) {
    m.requireAdvertiseAddress();
    KeyAlgorithm algorithm = KeyAlgorithm.byId(m.keyAlgorithm()).orElse(KeyAlgorithm.DEFAULT);
    List<Item> items = new ArrayList<>();
    for (CertSpec s : CertCatalog.forOptions(m.pkiOptions(false))) {
      if (!s.isCa()) {
        items.add(new Item(s.name(), "certificate", pki, s.keyFile(), s.baseName() + ".csr", s, null));
      }
    }
    for (KubeconfigSpec k : KubeconfigCatalog.forModel(m)) {
      CertSpec s = CertSpec.client(k.fileName(), "ca", k.clientName().apply(m), k.organizations());
      items.add(new Item(k.fileName(), "kubeconfig", out, k.fileName(), k.fileName() + ".csr", s,
          KubeconfigCatalog.serverUrl(k, m)));
    }
    List<Item> toMake = new ArrayList<>();
    List<Object> results = new ArrayList<>();
    for (Item it : items) {
      boolean kept = existingPair(it);
      if (!kept) {
        toMake.add(it);
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", it.name());
      r.put("kind", it.kind());
      r.put("key_path", it.dir().resolve(it.keyFile()).toString());
      r.put("csr_path", it.dir().resolve(it.csrFile()).toString());
      r.put("subject", (it.spec().organizations().isEmpty() ? "" : "O=" + String.join("+", it.spec().organizations()) + ", ")
          + "CN=" + it.spec().commonName());
      r.put("sans", it.spec().altNames().isEmpty() ? List.of() : List.of(it.spec().altNames().describe().split(", ")));
      r.put("action", kept ? "kept" : "created");
      results.add(r);
    }
    if (!dryRun && !toMake.isEmpty()) {
      Iterator<KeyPair> fresh = keys.next(algorithm, toMake.size()).iterator();
      List<FileReconciler.Desired> pkiWrites = new ArrayList<>();
      List<FileReconciler.Desired> kubeconfigWrites = new ArrayList<>();
      for (Item it : toMake) {
        KeyPair kp = fresh.next();
        String keyPem = Pem.encodePrivateKey(kp.getPrivate());
        byte[] key = it.server() == null ? ascii(keyPem) : kubeconfig(m, it, keyPem);
        byte[] csr = ascii(Pem.encode("CERTIFICATE REQUEST", CertificateFactory.csr(it.spec(), kp)));
        List<FileReconciler.Desired> to = it.server() == null ? pkiWrites : kubeconfigWrites;
        to.add(new FileReconciler.Desired(it.keyFile(), key, SafeFiles.PRIVATE, it.name()));
        to.add(new FileReconciler.Desired(it.csrFile(), csr, SafeFiles.PRIVATE, it.name()));
      }
      rec.commit(pki, pkiWrites, false, clock.instant());
      rec.commit(out, kubeconfigWrites, false, clock.instant());
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("cert_dir", m.certDir().toString());
    result.put("kubeconfig_dir", m.kubeconfigDir().toString());
    result.put("csrs", results);
    return new PhaseResult(!toMake.isEmpty(), List.of(), result, null);
  }

  /**
   * Tells whether the key (or kubeconfig) and the request both exist and belong together; none
   * existing is false; anything else is a conflict, as kubeadm refuses existing files.
   */
  private static boolean existingPair(Item it) {
    byte[] key = it.dir().rootExists() ? it.dir().read(it.keyFile(), MAX_FILE).orElse(null) : null;
    byte[] csr = it.dir().rootExists() ? it.dir().read(it.csrFile(), MAX_FILE).orElse(null) : null;
    if (key == null && csr == null) {
      return false;
    }
    try {
      if (key != null && csr != null) {
        PrivateKey k = Pem.parsePrivateKey(it.server() == null ? key : clientKey(key));
        List<Pem.Block> blocks = Pem.decode(csr);
        if (!blocks.isEmpty() && "CERTIFICATE REQUEST".equals(blocks.get(0).type())) {
          java.security.PublicKey pub = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(
              blocks.get(0).der()).getPublicKey();
          if (KeyPairs.matches(k, pub)) {
            return true;
          }
        }
      }
    } catch (RuntimeException | java.security.GeneralSecurityException | java.io.IOException e) {
      // not a pair: refused below
    }
    throw WorkerException.conflict("csr.exists", "key or CSR " + it.dir().resolve(it.keyFile()) + " / "
        + it.dir().resolve(it.csrFile()) + " already exists and is not a matching pair; remove them to make new ones");
  }

  private static byte[] clientKey(byte[] kubeconfig) {
    Object cfg = io.kubeforge.worker.config.SafeYaml.load(new String(kubeconfig, StandardCharsets.UTF_8), "kubeconfig");
    Object users = ((Map<?, ?>) cfg).get("users");
    Object user = ((Map<?, ?>) ((List<?>) users).get(0)).get("user");
    return Base64.getMimeDecoder().decode(String.valueOf(((Map<?, ?>) user).get("client-key-data")));
  }

  /** kubeadm's {@code CreateWithCerts} with empty CA and certificate data, which client-go leaves out. */
  private static byte[] kubeconfig(ClusterModel m, Item it, String keyPem) {
    Map<String, Object> cfg = KubeconfigRenderer.tree(m.clusterName(), it.server(), it.spec().commonName(), "", "", keyPem);
    for (Object c : (List<?>) cfg.get("clusters")) {
      ((Map<?, ?>) ((Map<?, ?>) c).get("cluster")).remove("certificate-authority-data");
    }
    for (Object u : (List<?>) cfg.get("users")) {
      ((Map<?, ?>) ((Map<?, ?>) u).get("user")).remove("client-certificate-data");
    }
    return KubeYaml.render(cfg).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
