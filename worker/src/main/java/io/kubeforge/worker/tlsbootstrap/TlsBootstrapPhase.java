package io.kubeforge.worker.tlsbootstrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.kube.KubeException;
import io.kubeforge.worker.kube.Kubeconfig;
import io.kubeforge.worker.pki.CertChecks;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.DnsNames;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** TlsBootstrapPhase serves {@code POST /v1/tls-bootstrap}; see the package documentation. */
public final class TlsBootstrapPhase {
  /** The fields of the request. */
  public static final Set<String> FIELDS = Set.of("bootstrap_kubeconfig", "kubeconfig", "cert_dir", "node_name",
      "timeout", "backup", "renew_unless_signed_by");
  /** Default of {@code bootstrap_kubeconfig}. */
  public static final String DEFAULT_BOOTSTRAP_KUBECONFIG = "/etc/kubernetes/bootstrap-kubelet.conf";
  /** Default of {@code kubeconfig}. */
  public static final String DEFAULT_KUBECONFIG = "/etc/kubernetes/kubelet.conf";
  /** Default of {@code cert_dir}: the kubelet's {@code --cert-dir} default under {@code --root-dir}. */
  public static final String DEFAULT_CERT_DIR = "/var/lib/kubelet/pki";
  /** Default of {@code timeout} in seconds. */
  public static final long DEFAULT_TIMEOUT_SECONDS = 60;
  /** Largest {@code timeout}: the call must end before a module stops waiting for it (120 s by default). */
  public static final long MAX_TIMEOUT_SECONDS = 110;
  /** The signer of kubelet client certificates ({@code certificatesv1.KubeAPIServerClientKubeletSignerName}). */
  public static final String SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
  /** The group of every node. */
  public static final String NODES_GROUP = "system:nodes";
  /** The link the kubelet's certificate store keeps at the current pair. */
  public static final String CURRENT = "kubelet-client-current.pem";
  /** Where the kubelet keeps the key until the certificate is issued ({@code tmpPrivateKeyFile}). */
  public static final String TMP_KEY = "kubelet-client.key.tmp";

  private static final String CODE = "tls_bootstrap.";
  private static final String CSR_API = "certificates.k8s.io/v1";
  private static final String CSR_KIND = "CertificateSigningRequest";
  private static final List<String> USAGES = List.of("digital signature", "client auth");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss");
  private static final Duration POLL = Duration.ofSeconds(1);
  private static final int MAX_FILE = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Validated input. */
  private record Input(Path bootstrap, Path kubeconfig, Path certDir, String node, Duration timeout, boolean backup,
                       List<X509Certificate> signers) {
    static Input read(RequestFields f) {
      long seconds = f.integer("timeout", DEFAULT_TIMEOUT_SECONDS);
      if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
        throw WorkerException.badInput(CODE + "invalid", "timeout", "must be between 1 and " + MAX_TIMEOUT_SECONDS
            + " seconds");
      }
      String node = f.string("node_name").filter(s -> !s.isEmpty()).orElseGet(TlsBootstrapPhase::hostname);
      node = node.strip().toLowerCase(Locale.ROOT);
      if (!DnsNames.isSubdomain(node)) {
        throw WorkerException.badInput(CODE + "invalid", "node_name", "'" + node + "' is not a valid node name (a DNS "
            + "subdomain: lower-case letters, digits, '-' and '.', at most " + DnsNames.MAX_LENGTH + " characters)");
      }
      return new Input(
          InputPaths.absolute(f.string("bootstrap_kubeconfig").orElse(DEFAULT_BOOTSTRAP_KUBECONFIG), "bootstrap_kubeconfig"),
          InputPaths.file(f.string("kubeconfig").orElse(DEFAULT_KUBECONFIG), "kubeconfig"),
          InputPaths.directory(f.string("cert_dir").orElse(DEFAULT_CERT_DIR), "cert_dir"),
          node, Duration.ofSeconds(seconds), f.bool("backup", true), signers(f));
    }

    /** {@code renew_unless_signed_by}: one or more PEM CA certificates, or none. */
    private static List<X509Certificate> signers(RequestFields f) {
      Optional<String> pem = f.string("renew_unless_signed_by").filter(s -> !s.isBlank());
      if (pem.isEmpty()) {
        return List.of();
      }
      List<X509Certificate> certs;
      try {
        certs = Pem.parseCertificates(pem.get().getBytes(StandardCharsets.US_ASCII));
      } catch (IllegalArgumentException e) {
        certs = List.of();
      }
      if (certs.isEmpty() || certs.stream().anyMatch(c -> c.getBasicConstraints() < 0)) {
        throw WorkerException.badInput(CODE + "invalid", "renew_unless_signed_by", "must be the PEM of one or more CA "
            + "certificates (the CA the kubelet's client certificate must be signed by)");
      }
      return certs;
    }

    /** Whether {@code leaf} is signed by one of {@link #signers} (true when there are none). */
    boolean signedAsWanted(X509Certificate leaf) {
      return signers.isEmpty() || signers.stream().anyMatch(ca -> CertChecks.signedBy(List.of(leaf), ca));
    }

    String user() {
      return "system:node:" + node;
    }
  }

  /** The kubelet's default node name: the kernel's host name, trimmed, in lower case. */
  private static String hostname() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException e) {
      throw WorkerException.badInput(RequestFields.MISSING_FIELD, "node_name", "the host name cannot be read ("
          + e.getMessage() + "); give node_name");
    }
  }

  /** A certificate and key pair read from {@code kubelet-client-current.pem}. */
  private record Pair(Path file, X509Certificate leaf) {}

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    Input in = Input.read(RequestFields.of(body, FIELDS));
    long deadline = System.nanoTime() + in.timeout.toNanos();
    SafeFiles certs = SafeFiles.under(in.certDir, "tls_bootstrap", "cert_dir");
    SafeFiles confDir = SafeFiles.under(in.kubeconfig.getParent(), "tls_bootstrap", "kubeconfig");
    String confName = in.kubeconfig.getFileName().toString();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("node_name", in.node);
    result.put("username", in.user());
    List<Map<String, Object>> files = new ArrayList<>();
    List<String> backups = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Instant now = Instant.now();
    SafeFiles[] targets = in.certDir.equals(in.kubeconfig.getParent()) ? new SafeFiles[] {certs}
        : new SafeFiles[] {certs, confDir};
    try (FileReconciler r = FileReconciler.open("tls_bootstrap", dryRun, targets)) {
      boolean changed = false;
      Optional<Pair> current = current(certs, in);
      if (current.isEmpty() && !in.signers.isEmpty()) {
        Optional<X509Certificate> embedded = embedded(in);
        if (embedded.isPresent()) {
          // a control plane kubeadm init made without the kubelet's rotation: ca_rotate re-signs it (reissue)
          if (!in.signedAsWanted(embedded.get())) {
            throw WorkerException.conflict(CODE + "embedded_certificate", in.kubeconfig + " embeds the client "
                + "certificate of " + in.user() + ", signed by " + embedded.get().getIssuerX500Principal()
                .getName(X500Principal.RFC2253) + ", not by a CA of renew_unless_signed_by; an embedded certificate "
                + "is re-signed by kubeforge.cluster.ca_rotate (phase reissue, kubeconfigs [kubelet.conf]). Nothing "
                + "was written");
          }
          result.put("certificate", certificateFact(in.kubeconfig, in.kubeconfig, embedded.get()));
          result.put("csr", null);
          files.add(row(confName, in.kubeconfig, "kept"));
          result.put("kubeconfig", in.kubeconfig.toString());
          result.put("files", files);
          result.put("backups", backups);
          return r.finish(new PhaseResult(false, warnings, result, null));
        }
      }
      Map<String, Object> csr = null;
      Path pemPath = in.certDir.resolve(CURRENT);
      Kubeconfig bootstrap = null;
      // a rotation of the cluster CA: the kubelet's certificate is renewed with its own credentials (kubelet.conf),
      // as the kubelet's certificate manager rotates it, so the signer of this phase issues the new one
      boolean renew = current.isPresent() && !in.signedAsWanted(current.get().leaf);
      if (current.isEmpty() || renew) {
        Issued issued;
        if (renew) {
          issued = request(in, in.kubeconfig, true, certs, r, dryRun, deadline);
          issued.csr.put("reason", CURRENT + " is signed by " + current.get().leaf.getIssuerX500Principal()
              .getName(X500Principal.RFC2253) + ", not by a CA of renew_unless_signed_by");
        } else {
          bootstrap = readBootstrap(in);
          issued = request(in, in.bootstrap, false, certs, r, dryRun, deadline);
        }
        csr = issued.csr;
        changed = true;
        if (issued.pem != null) {
          String name = "kubelet-client-" + LocalDateTime.now(ZoneId.systemDefault()).format(STAMP) + ".pem";
          changed |= reconcile(r, certs, name, issued.pem, in, now, files, backups);
          r.link(certs, CURRENT, in.certDir.resolve(name));
          files.add(row(CURRENT, pemPath, "linked"));
          if (certs.rootExists() && certs.exists(TMP_KEY)) {
            r.remove(certs, TMP_KEY);
          }
          result.put("certificate", certificateFact(pemPath, in.certDir.resolve(name), issued.leaf));
        } else {
          result.put("certificate", null);
        }
      } else {
        result.put("certificate", certificateFact(pemPath, current.get().file, current.get().leaf));
      }
      result.put("csr", csr);
      // kubelet.conf: what the kubelet's writeKubeconfigFromBootstrapping writes, from the bootstrap kubeconfig;
      // a renewal keeps it as it is (one that embeds kubeadm init's certificate too: the kubelet authenticates
      // with its rotated certificate, kubelet-client-current.pem)
      if (renew || current.isPresent() && keptKubeconfig(confDir, confName, pemPath)) {
        files.add(row(confName, in.kubeconfig, "kept"));
      } else {
        if (bootstrap == null) {
          bootstrap = readBootstrap(in);
        }
        byte[] conf = kubeletConf(bootstrap, pemPath).getBytes(StandardCharsets.UTF_8);
        changed |= reconcile(r, confDir, confName, conf, in, now, files, backups);
      }
      result.put("kubeconfig", in.kubeconfig.toString());
      result.put("files", files);
      result.put("backups", backups);
      return r.finish(new PhaseResult(changed, warnings, result, null));
    }
  }

  // ---- the current certificate ------------------------------------------------------------------

  /**
   * The pair {@code kubelet-client-current.pem} names, when it is a certificate for this node
   * ({@code CN=system:node:<name>}, {@code O=system:nodes}), not expired, with its key.
   */
  private static Optional<Pair> current(SafeFiles certs, Input in) {
    if (!certs.rootExists()) {
      return Optional.empty();
    }
    Optional<Path> link = certs.readLink(CURRENT);
    if (link.isEmpty()) {
      return Optional.empty();
    }
    Path target = in.certDir.resolve(link.get()).normalize();
    if (!in.certDir.equals(target.getParent())) {
      return Optional.empty(); // not a pair of this store: bootstrap anew
    }
    Optional<byte[]> pem = certs.read(target.getFileName().toString(), MAX_FILE);
    if (pem.isEmpty()) {
      return Optional.empty();
    }
    try {
      List<X509Certificate> chain = Pem.parseCertificates(pem.get());
      PrivateKey key = Pem.parsePrivateKey(pem.get());
      if (chain.isEmpty()) {
        return Optional.empty();
      }
      X509Certificate leaf = chain.get(0);
      if (!isNodeSubject(leaf.getSubjectX500Principal(), in.user()) || !KeyPairs.matches(key, leaf.getPublicKey())
          || Instant.now().isAfter(leaf.getNotAfter().toInstant())) {
        return Optional.empty();
      }
      return Optional.of(new Pair(target, leaf));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The client certificate {@code kubelet.conf} embeds for this node, not expired: kubeadm init's
   * {@code kubelet.conf} before the kubelet rotates it (kubelet-finalize points it at
   * {@code kubelet-client-current.pem}).
   */
  private static Optional<X509Certificate> embedded(Input in) {
    if (!Files.isRegularFile(in.kubeconfig)) {
      return Optional.empty();
    }
    Optional<X509Certificate> leaf;
    try {
      leaf = Kubeconfig.read(in.kubeconfig).clientCertificate();
    } catch (WorkerException e) {
      return Optional.empty(); // not a usable kubeconfig: the bootstrap path names the problem
    }
    return leaf.filter(c -> isNodeSubject(c.getSubjectX500Principal(), in.user())
        && Instant.now().isBefore(c.getNotAfter().toInstant()));
  }

  private static boolean isNodeSubject(X500Principal subject, String cn) {
    X500Name name = X500Name.getInstance(subject.getEncoded());
    var cns = name.getRDNs(BCStyle.CN);
    var os = name.getRDNs(BCStyle.O);
    if (cns.length != 1 || os.length < 1) {
      return false;
    }
    boolean inNodes = Arrays.stream(os).anyMatch(o -> NODES_GROUP.equals(
        org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(o.getFirst().getValue())));
    return inNodes && cn.equals(org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(cns[0].getFirst().getValue()));
  }

  /** Whether {@code kubelet.conf} exists and authenticates with {@code pemPath} (its server and CA stay as they are). */
  private static boolean keptKubeconfig(SafeFiles dir, String name, Path pemPath) {
    if (!dir.rootExists() || !dir.exists(name)) {
      return false;
    }
    try {
      Map<?, ?> conf = new org.yaml.snakeyaml.Yaml().load(new String(dir.read(name, MAX_FILE).orElseThrow(),
          StandardCharsets.UTF_8));
      String current = conf.get("current-context") instanceof String s ? s : null;
      String user = null;
      for (Object c : (List<?>) conf.get("contexts")) {
        Map<?, ?> m = (Map<?, ?>) c;
        if (m.get("name").equals(current)) {
          user = (String) ((Map<?, ?>) m.get("context")).get("user");
        }
      }
      for (Object u : (List<?>) conf.get("users")) {
        Map<?, ?> m = (Map<?, ?>) u;
        if (m.get("name").equals(user)) {
          Map<?, ?> auth = (Map<?, ?>) m.get("user");
          return pemPath.toString().equals(auth.get("client-certificate"))
              && pemPath.toString().equals(auth.get("client-key"));
        }
      }
      return false;
    } catch (RuntimeException e) {
      return false; // unreadable or another shape: rewritten (and backed up)
    }
  }

  // ---- the bootstrap ----------------------------------------------------------------------------

  private static Kubeconfig readBootstrap(Input in) {
    if (!Files.isRegularFile(in.bootstrap) && !in.signers.isEmpty()) {
      throw WorkerException.badInput(CODE + "no_current_certificate", "node_name", in.certDir.resolve(CURRENT)
          + " holds no valid certificate for " + in.user() + " to renew, and there is no " + in.bootstrap
          + " to bootstrap one; is node_name the kubelet's (its --hostname-override)?");
    }
    if (!Files.isRegularFile(in.bootstrap)) {
      throw WorkerException.badInput(CODE + "no_bootstrap_kubeconfig", "bootstrap_kubeconfig", in.bootstrap
          + " does not exist; write it with kubeforge.cluster.discovery (kubeconfig_dir) first, as kubeadm join does");
    }
    try {
      return Kubeconfig.read(in.bootstrap);
    } catch (WorkerException e) {
      throw WorkerException.badInput(CODE + "invalid_bootstrap_kubeconfig", "bootstrap_kubeconfig", e.getMessage());
    }
  }

  /** The outcome of the CSR: its fact, and (unless a dry run) the PEM file's content and its leaf. */
  private record Issued(Map<String, Object> csr, byte[] pem, X509Certificate leaf) {}

  /**
   * Sends the CSR authenticated by {@code auth} (the bootstrap kubeconfig, or with {@code renew} the node's own
   * kubelet.conf) and waits for its certificate. A renewal's key stays in memory: a failed renewal writes nothing.
   */
  private Issued request(Input in, Path auth, boolean renew, SafeFiles certs, FileReconciler r, boolean dryRun,
                         long deadline) {
    KeyPair key = renew ? KeyPairs.generate(KeyAlgorithm.ECDSA_P256) : key(certs, r, dryRun);
    String request = Pem.encode("CERTIFICATE REQUEST", csr(key, in.user()));
    String name = digestedName(key.getPublic(), in.user());
    ObjectNode object = JSON.createObjectNode().put("apiVersion", CSR_API).put("kind", CSR_KIND);
    object.putObject("metadata").put("name", name);
    ObjectNode spec = object.putObject("spec");
    spec.put("request", Base64.getEncoder().encodeToString(request.getBytes(StandardCharsets.US_ASCII)));
    spec.put("signerName", SIGNER);
    USAGES.forEach(spec.withArray("usages")::add);
    Map<String, Object> fact = new LinkedHashMap<>();
    fact.put("name", name);
    fact.put("signer_name", SIGNER);
    if (renew && !Files.isRegularFile(auth)) {
      throw WorkerException.badInput(CODE + "no_kubeconfig", "kubeconfig", auth + " does not exist: the renewal "
          + "authenticates with the node's kubelet.conf");
    }
    try (KubeClient client = KubeClient.fromKubeconfig(auth, in.timeout)) {
      ObjectNode created;
      try {
        created = client.create(object, dryRun);
        fact.put("action", dryRun ? "would_create" : "created");
      } catch (KubeException e) {
        if (!"AlreadyExists".equals(e.reason())) {
          throw named(e, in, renew, "creating the CSR " + name);
        }
        // as client-go's RequestCertificate: the same key's request from an earlier attempt is reused
        created = client.get(CSR_API, CSR_KIND, null, name).orElseThrow(() -> e);
        if (!request.equals(decodedRequest(created))) {
          throw WorkerException.conflict(CODE + "csr_incompatible", "the CSR " + name + " exists with another request; "
              + "delete it (kubectl delete csr " + name + ") and run again");
        }
        fact.put("action", "reused");
      }
      if (dryRun) {
        fact.put("approval", null);
        return new Issued(fact, null, null);
      }
      ObjectNode issued = await(client, name, in, renew, deadline);
      fact.put("approval", approval(issued));
      byte[] certPem = Base64.getDecoder().decode(issued.path("status").path("certificate").asText());
      List<X509Certificate> chain;
      try {
        chain = Pem.parseCertificates(certPem);
      } catch (IllegalArgumentException e) {
        throw WorkerException.conflict(CODE + "bad_certificate", "the signer issued for CSR " + name
            + " something that is not a certificate: " + e.getMessage());
      }
      if (chain.isEmpty() || !chain.get(0).getPublicKey().equals(key.getPublic())) {
        throw WorkerException.conflict(CODE + "bad_certificate", "the certificate issued for CSR " + name
            + " is not for the key this node sent");
      }
      if (!in.signedAsWanted(chain.get(0))) {
        throw WorkerException.conflict(CODE + "wrong_signer", "the certificate issued for CSR " + name + " is signed by "
            + chain.get(0).getIssuerX500Principal().getName(X500Principal.RFC2253) + ", not by a CA of "
            + "renew_unless_signed_by; point kube-controller-manager's signer (--cluster-signing-cert-file) at that CA "
            + "first (ca_rotate's controller_manager_extra_args) and run again. Nothing was written");
      }
      StringBuilder pem = new StringBuilder();
      chain.forEach(c -> pem.append(Pem.encodeCertificate(c)));
      pem.append(Pem.encodePrivateKey(key.getPrivate()));
      return new Issued(fact, pem.toString().getBytes(StandardCharsets.US_ASCII), chain.get(0));
    }
  }

  /** The key: the one kept from an earlier attempt, or a new ECDSA P-256 key (keyutil's), kept until issuance. */
  private static KeyPair key(SafeFiles certs, FileReconciler r, boolean dryRun) {
    if (certs.rootExists()) {
      Optional<byte[]> kept = certs.read(TMP_KEY, MAX_FILE);
      if (kept.isPresent()) {
        try {
          PrivateKey k = Pem.parsePrivateKey(kept.get());
          return new KeyPair(KeyPairs.publicKeyOf(k), k);
        } catch (IllegalArgumentException e) {
          // unusable: replaced, as keyutil.LoadOrGenerateKeyFile would fail; the kubelet's caller then makes a new one
        }
      }
    }
    KeyPair key = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    r.commit(certs, List.of(new FileReconciler.Desired(TMP_KEY, Pem.encodePrivateKey(key.getPrivate())
        .getBytes(StandardCharsets.US_ASCII), SafeFiles.PRIVATE)), false, Instant.now());
    return key;
  }

  /** certutil.MakeCSR with no SANs: subject {@code O=system:nodes, CN=<user>}, signed with the key. */
  static byte[] csr(KeyPair key, String user) {
    try {
      return request(key, user).getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException("couldn't encode the certificate request", e);
    }
  }

  /** The request of {@link #csr}, parsed. */
  static PKCS10CertificationRequest request(KeyPair key, String user) {
    // Go's pkix.Name: O before CN, each a PrintableString (both are printable: a node name is a DNS subdomain)
    X500Name subject = new X500Name(new RDN[] {new RDN(BCStyle.O, new DERPrintableString(NODES_GROUP)),
        new RDN(BCStyle.CN, new DERPrintableString(user))});
    try {
      PKCS10CertificationRequest req = new JcaPKCS10CertificationRequestBuilder(subject, key.getPublic())
          .build(new JcaContentSignerBuilder(KeyAlgorithm.ECDSA_P256.signatureAlgorithm()).build(key.getPrivate()));
      return req;
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("couldn't make the certificate request", e);
    }
  }

  /** The kubelet's {@code digestedName}: {@code node-csr-} and the SHA-512/256 of key, subject and usages. */
  static String digestedName(PublicKey publicKey, String user) {
    MessageDigest hash;
    try {
      hash = MessageDigest.getInstance("SHA-512/256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Base64.Encoder encode = Base64.getUrlEncoder().withoutPadding();
    List<byte[]> parts = new ArrayList<>();
    parts.add(publicKey.getEncoded());
    parts.add(user.getBytes(StandardCharsets.UTF_8));
    parts.add(NODES_GROUP.getBytes(StandardCharsets.UTF_8));
    USAGES.forEach(u -> parts.add(u.getBytes(StandardCharsets.UTF_8)));
    for (byte[] p : parts) {
      hash.update(encode.encode(p));
      hash.update((byte) '|');
    }
    return "node-csr-" + encode.encodeToString(hash.digest());
  }

  private static String decodedRequest(ObjectNode csr) {
    try {
      return new String(Base64.getDecoder().decode(csr.path("spec").path("request").asText("")),
          StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** Reads the CSR until it is issued, denied or failed, or the deadline passes. */
  private static ObjectNode await(KubeClient client, String name, Input in, boolean renew, long deadline) {
    ObjectNode last = null;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          Optional<ObjectNode> got = client.get(CSR_API, CSR_KIND, null, name, Duration.ofNanos(left));
          if (got.isEmpty()) {
            throw WorkerException.conflict(CODE + "csr_deleted", "the CSR " + name + " was deleted before a "
                + "certificate was issued (a CSR is garbage-collected an hour after it was denied or failed); run again");
          }
          last = got.get();
        } catch (KubeException e) {
          if (!"kube.unreachable".equals(e.code())) {
            throw named(e, in, renew, "reading the CSR " + name);
          }
        }
      }
      if (last != null) {
        for (JsonNode c : last.path("status").path("conditions")) {
          String type = c.path("type").asText();
          if (("Denied".equals(type) || "Failed".equals(type)) && "True".equals(c.path("status").asText("True"))) {
            throw WorkerException.conflict(CODE + ("Denied".equals(type) ? "csr_denied" : "csr_failed"), "the CSR "
                + name + " for " + in.user() + " was " + type.toLowerCase(Locale.ROOT) + " (reason "
                + c.path("reason").asText("none") + ": " + c.path("message").asText("") + "); no certificate was "
                + "issued and nothing was written but the key kept in " + in.certDir.resolve(TMP_KEY));
          }
        }
        if (!last.path("status").path("certificate").asText("").isEmpty()) {
          return last;
        }
      }
      if (deadline - System.nanoTime() <= 0) {
        boolean approved = last != null && approval(last) != null;
        throw new TlsBootstrapException(504, "timeout", null, "no certificate for the CSR " + name + " within the "
            + "timeout of " + in.timeout.toSeconds() + " s: " + (last == null ? "the API server did not answer"
            : approved ? "it is approved but the signer has not issued it (is kube-controller-manager's csrsigning "
            + "controller running with --cluster-signing-cert-file?)"
            : "it is not approved (auto-approval needs kube-controller-manager's csrapproving controller and the "
            + "kubeadm:node-autoapprove-bootstrap binding; or approve it: kubectl certificate approve " + name
            + "). Running again reuses this CSR"), null);
      }
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(POLL.toNanos(), Math.max(1, deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TlsBootstrapException(504, "timeout", null, "interrupted while waiting for the CSR " + name, e);
      }
    }
  }

  private static String approval(ObjectNode csr) {
    for (JsonNode c : csr.path("status").path("conditions")) {
      if ("Approved".equals(c.path("type").asText())) {
        return c.path("reason").asText("");
      }
    }
    return null;
  }

  /** The API server's refusals, named in the bootstrap's words. */
  private static WorkerException named(KubeException e, Input in, boolean renew, String what) {
    if (renew && (e.apiStatus() == 401 || e.apiStatus() == 403)) {
      return new TlsBootstrapException(403, e.apiStatus() == 401 ? "certificate_rejected" : "forbidden", "kubeconfig",
          "the API server " + (e.apiStatus() == 401 ? "rejected the node's current certificate" : "refused the node")
          + " in " + in.kubeconfig + " (HTTP " + e.apiStatus() + ") while " + what + ": renew while the API server "
          + "still trusts the CA that signed it (between ca_rotate's prepare and finish), and with kubeadm's "
          + "kubeadm:node-autoapprove-certificate-rotation binding; " + e.getMessage(), e);
    }
    if (e.apiStatus() == 401) {
      return new TlsBootstrapException(403, "token_rejected", "bootstrap_kubeconfig", "the API server rejected the "
          + "bootstrap token in " + in.bootstrap + " (HTTP 401 Unauthorized) while " + what + ": the token is expired, "
          + "deleted or wrong. Create a new one (kubeforge.cluster.bootstrap_token) and run discovery again", e);
    }
    if (e.apiStatus() == 403) {
      return new TlsBootstrapException(403, "forbidden", "bootstrap_kubeconfig", "the bootstrap token in "
          + in.bootstrap + " may not do this (HTTP 403) while " + what + ": its groups need the "
          + "system:node-bootstrapper role (kubeadm's kubeadm:kubelet-bootstrap binding of "
          + "system:bootstrappers:kubeadm:default-node-token); " + e.getMessage(), e);
    }
    return e;
  }

  // ---- output ------------------------------------------------------------------------------------

  /** The kubelet's {@code writeKubeconfigFromBootstrapping}, as {@code clientcmd.WriteToFile} renders it. */
  static String kubeletConf(Kubeconfig bootstrap, Path pem) {
    Map<String, Object> cluster = new LinkedHashMap<>();
    byte[] ca = bootstrap.caPem();
    if (ca != null) {
      cluster.put("certificate-authority-data", Base64.getEncoder().encodeToString(ca));
    }
    cluster.put("server", bootstrap.server().toString());
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("cluster", "default-cluster");
    context.put("namespace", "default");
    context.put("user", "default-auth");
    Map<String, Object> user = new LinkedHashMap<>();
    user.put("client-certificate", pem.toString());
    user.put("client-key", pem.toString());
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("apiVersion", "v1");
    cfg.put("clusters", List.of(Map.of("cluster", cluster, "name", "default-cluster")));
    cfg.put("contexts", List.of(Map.of("context", context, "name", "default-context")));
    cfg.put("current-context", "default-context");
    cfg.put("kind", "Config");
    cfg.put("users", List.of(Map.of("name", "default-auth", "user", user)));
    return KubeYaml.render(cfg);
  }

  private static Map<String, Object> certificateFact(Path current, Path file, X509Certificate leaf) {
    Map<String, Object> fact = new LinkedHashMap<>();
    fact.put("path", current.toString());
    fact.put("file", file.toString());
    fact.put("subject", leaf.getSubjectX500Principal().getName(X500Principal.RFC2253));
    fact.put("not_after", leaf.getNotAfter().toInstant().toString());
    return fact;
  }

  private static Map<String, Object> row(String name, Path path, String action) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", name);
    row.put("path", path.toString());
    row.put("action", action);
    return row;
  }

  private static boolean reconcile(FileReconciler r, SafeFiles t, String name, byte[] content, Input in, Instant now,
                                   List<Map<String, Object>> files, List<String> backups) {
    FileReconciler.Compared c = FileReconciler.compare(t, name, content, MAX_FILE, Arrays::equals);
    files.add(row(name, t.root().resolve(name), c.change().label()));
    if (c.change() == FileReconciler.Change.KEPT) {
      return false;
    }
    r.commit(t, List.of(new FileReconciler.Desired(name, content, SafeFiles.PRIVATE)), in.backup, now)
        .forEach(p -> backups.add(p.toString()));
    return true;
  }
}
