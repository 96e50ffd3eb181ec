package io.kubeforge.worker.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.Endpoints;
import io.kubeforge.worker.config.HostPort;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.kube.BootstrapToken;
import io.kubeforge.worker.kube.ClusterInfoJws;
import io.kubeforge.worker.kube.ClusterInfoSigner;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.kube.KubeException;
import io.kubeforge.worker.pki.CaCertHash;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** DiscoveryPhase serves {@code POST /v1/discovery}; see the package documentation. */
public final class DiscoveryPhase {
  /** The fields of the request. */
  public static final Set<String> FIELDS = Set.of("api_server_endpoint", "token", "ca_cert_hashes",
      "unsafe_skip_ca_verification", "timeout", "discovery_file", "kubeconfig_dir", "cert_dir", "backup");
  /** Default of {@code timeout} in seconds (kubeadm's {@code timeouts.discovery} is 5 minutes; see api.md). */
  public static final long DEFAULT_TIMEOUT_SECONDS = 60;
  /** Largest {@code timeout}: the call must end before a module stops waiting for it (120 s by default). */
  public static final long MAX_TIMEOUT_SECONDS = 110;
  /** kubeadm's {@code DiscoveryRetryInterval}. */
  public static final Duration RETRY_INTERVAL = Duration.ofSeconds(5);
  /** kubeadm's {@code DefaultClusterName}: the cluster's name in bootstrap-kubelet.conf. */
  public static final String CLUSTER_NAME = "kubernetes";
  /** kubeadm's {@code TokenUser}. */
  public static final String TOKEN_USER = "tls-bootstrap-token-user";
  /** The file kubeadm join writes for the kubelet's TLS bootstrap. */
  public static final String BOOTSTRAP_KUBECONFIG = "bootstrap-kubelet.conf";
  /**
   * The clock skew beyond which discovery says so: the 5 minutes by which Kubernetes backdates
   * certificates (the controller-manager's CSR signer {@code Backdate}, kubeadm's
   * {@code CertificateBackdate}), the tolerance the cluster itself allows between clocks.
   *
   * <p>Why this is how skew becomes visible in a token's expiry: {@code cluster-info} carries no
   * expiry, and the token's Secret in {@code kube-system} cannot be read anonymously. The bootstrap
   * signer ({@code pkg/controller/bootstrap}, {@code validateSecretForSigning}) judges
   * {@code expiration} by the controller-manager's {@code time.Now()} and drops
   * {@code jws-kubeconfig-<id>} for an expired token; kubeadm then says only "token id is invalid
   * for this cluster or it has expired". The one reading of the server's clock an anonymous client
   * gets is the HTTP {@code Date} header of the {@code cluster-info} answer. So: no signature for
   * the token after the timeout, and a {@code Date} more than this far from this host's clock, is
   * refused as {@code discovery.clock_skew} naming the measured offset (a token whose expiry looks
   * in the future here is already past by the control plane's clock). A signed answer from a skewed
   * server is accepted (the signer found the token valid) with a warning: the kubelet's client
   * certificate would be outside its validity on this host. Without a {@code Date} header nothing
   * is measured and the refusal stays {@code discovery.no_signature}.
   */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

  private static final String INVALID = "discovery.invalid";
  private static final int MAX_FILE = 1 << 20;

  private final Duration interval;

  /** The phase with kubeadm's retry interval. */
  public DiscoveryPhase() {
    this(RETRY_INTERVAL);
  }

  /** The phase with another retry interval (tests). */
  DiscoveryPhase(Duration interval) {
    this.interval = interval;
  }

  /** What discovery found and trusts. */
  private record Found(String method, String server, String clusterName, byte[] caPem, List<X509Certificate> ca,
                       byte[] kubeconfigAsIs, List<String> warnings) {}

  /** One cluster-info answer and the server's clock offset measured with it (null: no Date header). */
  private record Fetched(ObjectNode cm, Duration clockOffset) {}

  /** Validated input; everything is checked before the network is touched. */
  private record Input(URI endpoint, String endpointText, String tokenId, String tokenSecret, String token,
                       Set<String> pins, boolean unsafe, String file, Duration timeout, Path kubeconfigDir,
                       Path certDir, boolean backup) {
    static Input read(RequestFields f) {
      long seconds = f.integer("timeout", DEFAULT_TIMEOUT_SECONDS);
      if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
        throw WorkerException.badInput(INVALID, "timeout", "must be between 1 and " + MAX_TIMEOUT_SECONDS + " seconds");
      }
      String token = f.string("token").filter(s -> !s.isEmpty()).orElse(null);
      String[] parts = token == null ? null : BootstrapToken.parse(token, "token");
      String file = f.string("discovery_file").filter(s -> !s.isEmpty()).orElse(null);
      String endpointText = f.string("api_server_endpoint").filter(s -> !s.isEmpty()).orElse(null);
      List<String> hashes = f.stringList("ca_cert_hashes");
      boolean unsafe = f.bool("unsafe_skip_ca_verification", false);
      URI endpoint = null;
      Set<String> pins = new LinkedHashSet<>();
      if (file != null) {
        if (endpointText != null) {
          throw WorkerException.badInput(INVALID, "api_server_endpoint", "belongs to token discovery; discovery_file is set");
        }
        if (!hashes.isEmpty()) {
          throw WorkerException.badInput(INVALID, "ca_cert_hashes", "belongs to token discovery; discovery_file is set");
        }
        if (unsafe) {
          throw WorkerException.badInput(INVALID, "unsafe_skip_ca_verification",
              "belongs to token discovery; discovery_file is set");
        }
        if (!file.startsWith("https://") && file.contains("://")) {
          throw WorkerException.badInput(INVALID, "discovery_file", "must be a file path or an https:// URL");
        }
      } else {
        if (endpointText == null) {
          throw WorkerException.badInput(RequestFields.MISSING_FIELD, "api_server_endpoint",
              "is required for token discovery (or give discovery_file)");
        }
        HostPort hp = HostPort.parse(endpointText, "api_server_endpoint");
        if (hp.port() == null) {
          throw WorkerException.badInput(INVALID, "api_server_endpoint", "'" + endpointText + "' must be host:port ([IPv6]:port)");
        }
        endpoint = URI.create("https://" + Endpoints.joinHostPort(hp.host(), hp.port()));
        if (parts == null) {
          throw WorkerException.badInput(RequestFields.MISSING_FIELD, "token", "is required for token discovery");
        }
        for (int i = 0; i < hashes.size(); i++) {
          pins.add(pin(hashes.get(i), "ca_cert_hashes[" + i + "]"));
        }
        if (pins.isEmpty() && !unsafe) {
          throw WorkerException.badInput(INVALID, "ca_cert_hashes", "using token-based discovery without ca_cert_hashes "
              + "can be unsafe; give the CA's sha256:<hex> pin (ca_cert_hash of the pki or bootstrap_token module, or "
              + "kubeadm's --discovery-token-ca-cert-hash), or set unsafe_skip_ca_verification: true");
        }
      }
      Path kubeconfigDir = f.string("kubeconfig_dir").filter(s -> !s.isEmpty())
          .map(s -> InputPaths.directory(s, "kubeconfig_dir")).orElse(null);
      Path certDir = f.string("cert_dir").filter(s -> !s.isEmpty()).map(s -> InputPaths.directory(s, "cert_dir"))
          .orElse(kubeconfigDir == null ? null : kubeconfigDir.resolve("pki"));
      return new Input(endpoint, endpointText, parts == null ? null : parts[0], parts == null ? null : parts[1], token,
          pins, unsafe, file, Duration.ofSeconds(seconds), kubeconfigDir, certDir, f.bool("backup", true));
    }
  }

  /** kubeadm's pubkeypin format: {@code sha256:} (any case) and 64 hex digits, stored lower-case. */
  static String pin(String text, String field) {
    int colon = text.indexOf(':');
    if (colon < 0 || !text.substring(0, colon).equalsIgnoreCase("sha256")) {
      throw WorkerException.badInput(INVALID, field, "invalid discovery token CA certificate hash: '" + text
          + "' must be sha256:<64 hex digits> (only SHA-256 pins are supported)");
    }
    String hex = text.substring(colon + 1);
    if (!hex.matches("[0-9a-fA-F]{64}")) {
      throw WorkerException.badInput(INVALID, field, "invalid discovery token CA certificate hash: '" + text
          + "' must be sha256: followed by 64 hexadecimal digits");
    }
    return CaCertHash.PREFIX + hex.toLowerCase(Locale.ROOT);
  }

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    Input in = Input.read(RequestFields.of(body, FIELDS));
    long deadline = System.nanoTime() + in.timeout.toNanos();
    Found found = in.file != null ? fileDiscovery(in, deadline) : tokenDiscovery(in, deadline);
    return write(in, found, deadline, dryRun);
  }

  /**
   * The cluster's {@code ClusterConfiguration} as {@code kubeadm join} reads it before it joins
   * ({@code kube-system/kubeadm-config}, which kubeadm's {@code kubeadm:nodes-kubeadm-config} Role
   * lets the default bootstrap-token group read), over TLS trusting only the verified CA, with the
   * token; null with a warning when the token may not read it or it is missing.
   */
  private static String clusterConfiguration(Input in, Found found, long deadline, List<String> warnings) {
    if (in.token == null || found.caPem == null) {
      return null;
    }
    byte[] conf = bootstrapKubeconfig(found.server, found.caPem, in.token).getBytes(StandardCharsets.UTF_8);
    Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(5).toNanos()));
    try (KubeClient c = KubeClient.fromKubeconfigContent(Path.of(BOOTSTRAP_KUBECONFIG), conf, left)) {
      Optional<ObjectNode> cm = c.get("v1", "ConfigMap", "kube-system", "kubeadm-config");
      JsonNode text = cm.map(x -> x.path("data").path("ClusterConfiguration")).orElse(null);
      if (text != null && text.isTextual()) {
        return text.asText();
      }
      warnings.add("kube-system/kubeadm-config " + (cm.isEmpty() ? "does not exist" : "has no ClusterConfiguration")
          + ": cluster_configuration is null (the first control plane has not uploaded it: cluster_bootstrap)");
    } catch (KubeException e) {
      warnings.add("the token could not read kube-system/kubeadm-config, so cluster_configuration is null: "
          + e.getMessage());
    }
    return null;
  }

  // ---- token discovery -------------------------------------------------------------------------

  private Found tokenDiscovery(Input in, long deadline) {
    List<String> warnings = new ArrayList<>();
    String key = ClusterInfoSigner.PREFIX + in.tokenId;
    Fetched fetched = poll(in, null, "no certificate (first, unverified fetch)", deadline, true);
    ObjectNode first = fetched.cm();
    if (skewed(fetched.clockOffset())) {
      warnings.add("the API server's clock is " + offset(fetched.clockOffset()) + " this host's (its HTTP Date "
          + "header), more than the " + MAX_CLOCK_SKEW.toMinutes() + " minutes Kubernetes tolerates: the kubelet's "
          + "client certificate will look not yet valid or expired here. Synchronise the clocks (NTP, chrony)");
    }
    String content = first.path("data").path("kubeconfig").asText("");
    if (content.isEmpty()) {
      throw DiscoveryException.refused("no_kubeconfig", "there is no kubeconfig key in the cluster-info ConfigMap at "
          + in.endpoint + ": this API server isn't set up for token bootstrapping (run kubeadm init phase "
          + "bootstrap-token, or kubeforge.cluster.cluster_bootstrap, on the first control plane)");
    }
    String jws = first.path("data").path(key).asText("");
    switch (ClusterInfoJws.check(content, jws, in.tokenId, in.tokenSecret)) {
      case VALID -> { }
      case WRONG_ALGORITHM -> throw DiscoveryException.refused("unsupported_algorithm", "the cluster-info signature "
          + "for token id \"" + in.tokenId + "\" at " + in.endpoint + " uses alg \"" + ClusterInfoJws.algorithm(jws)
          + "\"; only HS256 (the bootstrap signer's) is accepted: can't trust this API server");
      case MALFORMED, WRONG_KEY_ID -> throw DiscoveryException.refused("malformed_signature", "the cluster-info "
          + "signature for token id \"" + in.tokenId + "\" at " + in.endpoint + " is not a detached HS256 JWS for that "
          + "token id: can't trust this API server");
      case BAD_SIGNATURE -> throw DiscoveryException.refused("bad_signature", "failed to verify the JWS signature of "
          + "cluster-info for token id \"" + in.tokenId + "\" at " + in.endpoint + ": the token's secret is wrong (check "
          + "the token), or this server is not the cluster's; can't trust this API server");
    }
    DiscoveredConfig insecure = parseClusterInfo(content, in);
    if (in.pins.isEmpty()) {
      warnings.add("unsafe_skip_ca_verification: the cluster CA was not checked against a pin; anyone who knows the "
          + "token could have answered as " + in.endpoint + ". Pin it with ca_cert_hashes.");
      List<X509Certificate> all = insecure.caPem() == null ? List.of() : certificates(insecure.caPem(), in);
      return new Found("token", insecure.server(), CLUSTER_NAME, insecure.caPem(), all, null, warnings);
    }
    if (insecure.caPem() == null) {
      throw DiscoveryException.refused("ca_not_pinned", "the kubeconfig in cluster-info at " + in.endpoint
          + " carries no certificate-authority-data, so no CA can match the pins " + in.pins);
    }
    List<X509Certificate> bundle = certificates(insecure.caPem(), in);
    List<X509Certificate> pinned = new ArrayList<>();
    List<String> unpinned = new ArrayList<>();
    for (X509Certificate c : bundle) {
      if (in.pins.contains(CaCertHash.of(c))) {
        pinned.add(c);
      } else {
        unpinned.add(CaCertHash.of(c));
      }
    }
    if (pinned.isEmpty()) {
      throw DiscoveryException.refused("ca_not_pinned", "cluster CA found in the cluster-info ConfigMap at " + in.endpoint
          + " is invalid: none of the public keys " + unpinned + " are pinned (pins: " + in.pins + "); the server is "
          + "not the cluster's, or the pin is not this cluster's CA (the pki module's ca_cert_hash)");
    }
    String trust = "the pinned CA " + pinned.stream().map(CaCertHash::of).toList();
    ObjectNode second;
    try {
      second = poll(in, pinned, trust, deadline, false).cm();
    } catch (KubeException e) {
      if (!"kube.tls".equals(e.code())) {
        throw e;
      }
      String extra = unpinned.isEmpty() ? "" : "; cluster-info also carried CA(s) " + unpinned + " that match no pin and "
          + "are never trusted";
      throw DiscoveryException.refused("untrusted_server", "the server at " + in.endpoint + " serves a signed "
          + "cluster-info but its TLS certificate does not verify against " + trust + " for host "
          + in.endpoint.getHost() + " (" + e.getMessage() + ")" + extra + ": it is not the cluster's API server, or "
          + "api_server_endpoint is not a name in its certificate", e);
    }
    String secure = second.path("data").path("kubeconfig").asText("");
    if (!secure.equals(content)) {
      throw DiscoveryException.refused("content_changed", "the second kubeconfig from the cluster-info ConfigMap at "
          + in.endpoint + " (over TLS verified by the pinned CA) was different from the first: cluster-info changed "
          + "between the two fetches (run again), or something between here and the server rewrote it");
    }
    byte[] caPem = insecure.caPem();
    if (!unpinned.isEmpty()) {
      StringBuilder pem = new StringBuilder();
      pinned.forEach(c -> pem.append(Pem.encodeCertificate(c)));
      caPem = pem.toString().getBytes(StandardCharsets.UTF_8);
      warnings.add("cluster-info carried CA(s) " + unpinned + " beside the pinned one; only the pinned CA is kept "
          + "(kubeadm would keep the whole bundle)");
    }
    return new Found("token", insecure.server(), CLUSTER_NAME, caPem, pinned, null, warnings);
  }

  private DiscoveredConfig parseClusterInfo(String content, Input in) {
    return DiscoveredConfig.parse(content, why -> DiscoveryException.refused("malformed_cluster_info",
        "the kubeconfig in the cluster-info ConfigMap at " + in.endpoint + " " + why), null);
  }

  private static List<X509Certificate> certificates(byte[] pem, Input in) {
    try {
      List<X509Certificate> certs = Pem.parseCertificates(pem);
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("no certificate");
      }
      return certs;
    } catch (IllegalArgumentException e) {
      throw DiscoveryException.refused("malformed_cluster_info", "failed to parse the cluster CA from the cluster-info "
          + "ConfigMap at " + in.endpoint + ": " + e.getMessage());
    }
  }

  /**
   * Fetches cluster-info until it holds the token's signature (when {@code needSignature}) or
   * the deadline passes, as kubeadm's {@code getClusterInfo}: first attempt at once, then every
   * {@link #interval}; any failure is retried, except a redirect and (verified fetch) a failed
   * TLS handshake, which no retry changes. On timeout the last reason is the message.
   */
  private Fetched poll(Input in, List<X509Certificate> trust, String trustName, long deadline, boolean first) {
    String key = ClusterInfoSigner.PREFIX + in.tokenId;
    Duration clockOffset = null;
    String last = null;
    KubeException lastError = null;
    boolean sawUnsigned = false;
    int attempts = 0;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String why = last != null ? last : "no answer";
        if (!sawUnsigned && lastError != null && "kube.unreachable".equals(lastError.code())) {
          throw DiscoveryException.timedOut("the API server at " + in.endpoint + " was unreachable for the whole "
              + "timeout of " + in.timeout.toSeconds() + " s (" + attempts + " attempt(s)): " + why, lastError);
        }
        if (sawUnsigned) {
          // an answer without the token's signature is the finding, even when a later attempt failed otherwise
          last = "could not find a JWS signature in the cluster-info ConfigMap for token ID \"" + in.tokenId + "\"";
          if (skewed(clockOffset)) {
            throw DiscoveryException.refused("clock_skew", last + " after " + in.timeout.toSeconds() + " s, and "
                + "clock skew is visible: the API server's clock is " + offset(clockOffset) + " this host's (its HTTP "
                + "Date header; Kubernetes tolerates " + MAX_CLOCK_SKEW.toMinutes() + " minutes). The bootstrap "
                + "signer judges the token's expiration by the control plane's clock, so a token that looks valid "
                + "here has expired there. Synchronise the clocks (NTP, chrony) of this host and the control plane, "
                + "then create a new token (kubeforge.cluster.bootstrap_token, or kubeadm token create)");
          }
          throw DiscoveryException.refused("no_signature", last + " after " + in.timeout.toSeconds() + " s: token id \""
              + in.tokenId + "\" is invalid for this cluster or it has expired (or it is not for signing, or no "
              + "bootstrap signer runs: kube-controller-manager's bootstrapsigner controller). Create a new token "
              + "(kubeforge.cluster.bootstrap_token, or kubeadm token create) on a control-plane node");
        }
        throw DiscoveryException.timedOut("discovery from " + in.endpoint + " gave up after the timeout of "
            + in.timeout.toSeconds() + " s (" + attempts + " attempt(s)): " + why, lastError);
      }
      attempts++;
      try (KubeClient c = KubeClient.anonymous(in.endpoint, trust, trustName, Duration.ofNanos(left))) {
        Optional<ObjectNode> cm = c.get("v1", "ConfigMap", "kube-public", "cluster-info",
            Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        clockOffset = c.serverClockOffset().orElse(clockOffset);
        if (cm.isEmpty()) {
          last = "the cluster-info ConfigMap does not exist in kube-public (the first control plane has not run "
              + "kubeadm init phase bootstrap-token or kubeforge.cluster.cluster_bootstrap yet)";
        } else if (!cm.get().path("data").has(key)) {
          sawUnsigned = true;
          last = "could not find a JWS signature in the cluster-info ConfigMap for token ID \"" + in.tokenId + "\"";
        } else {
          return new Fetched(cm.get(), clockOffset);
        }
        lastError = null;
      } catch (KubeException e) {
        if ("kube.redirect".equals(e.code())) {
          throw DiscoveryException.refused("redirect", e.getMessage(), e);
        }
        if ("kube.tls".equals(e.code()) && !first) {
          throw e;
        }
        last = e.getMessage();
        lastError = e;
      }
      pause(interval, deadline);
    }
  }

  private static boolean skewed(Duration clockOffset) {
    return clockOffset != null && clockOffset.abs().compareTo(MAX_CLOCK_SKEW) > 0;
  }

  /** "N s ahead of" / "N s behind" (the Date header has a resolution of one second). */
  private static String offset(Duration clockOffset) {
    return clockOffset.abs().toSeconds() + " s " + (clockOffset.isNegative() ? "behind" : "ahead of");
  }

  // ---- file discovery --------------------------------------------------------------------------

  private Found fileDiscovery(Input in, long deadline) {
    List<String> warnings = new ArrayList<>();
    byte[] bytes;
    Path base = null;
    if (in.file.startsWith("https://")) {
      URI url;
      try {
        url = URI.create(in.file);
      } catch (IllegalArgumentException e) {
        throw WorkerException.badInput(INVALID, "discovery_file", "'" + in.file + "' is not a valid URL");
      }
      try {
        bytes = KubeClient.download(url, in.timeout, MAX_FILE);
      } catch (KubeException e) {
        if ("kube.redirect".equals(e.code())) {
          throw DiscoveryException.refused("redirect", e.getMessage(), e);
        }
        throw DiscoveryException.refused("file_unavailable", "couldn't download the discovery file " + in.file + ": "
            + e.getMessage(), e);
      }
    } else {
      Path p = InputPaths.file(in.file, "discovery_file");
      base = p.toAbsolutePath().getParent();
      try {
        bytes = Files.readAllBytes(p);
      } catch (IOException e) {
        throw WorkerException.badInput(INVALID, "discovery_file", p + " cannot be read: " + e.getMessage());
      }
    }
    Path dir = base;
    String text = new String(bytes, StandardCharsets.UTF_8);
    DiscoveredConfig cfg = DiscoveredConfig.parse(text,
        why -> WorkerException.badInput(INVALID, "discovery_file", in.file + " " + why),
        dir == null ? null : name -> {
          try {
            return Files.readAllBytes(dir.resolve(name));
          } catch (IOException e) {
            throw WorkerException.badInput(INVALID, "discovery_file", in.file + ": certificate-authority " + name
                + " cannot be read");
          }
        });
    if (cfg.caPem() == null) {
      throw WorkerException.badInput(INVALID, "discovery_file", in.file + " names no certificate-authority; kubeforge "
          + "verifies the API server against the CA the discovery file carries");
    }
    URI server;
    try {
      server = URI.create(cfg.server());
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(INVALID, "discovery_file", in.file + ": server '" + cfg.server() + "' is not a URL");
    }
    if (!"https".equals(server.getScheme()) || server.getHost() == null) {
      throw WorkerException.badInput(INVALID, "discovery_file", in.file + ": server '" + cfg.server()
          + "' must be an https:// URL");
    }
    List<X509Certificate> ca;
    try {
      ca = Pem.parseCertificates(cfg.caPem());
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(INVALID, "discovery_file", in.file + ": certificate-authority: " + e.getMessage());
    }
    if (in.token == null && !cfg.hasCredentials()) {
      throw WorkerException.badInput(RequestFields.MISSING_FIELD, "token", "couldn't find authentication credentials "
          + "for the TLS bootstrap process: give token, or a discovery file with embedded credentials");
    }
    // as kubeadm's file.ValidateConfigInfo: read cluster-info over TLS verified by the file's CA
    URI root = URI.create("https://" + server.getRawAuthority());
    Input probe = new Input(root, server.getRawAuthority(), null, null, null, Set.of(), false, in.file, in.timeout,
        null, null, false);
    String last = null;
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw DiscoveryException.timedOut("abort reading the cluster-info ConfigMap from " + root + " after timeout of "
            + in.timeout.toSeconds() + " s: " + last, null);
      }
      try (KubeClient c = KubeClient.anonymous(root, ca, "the CA in " + in.file, Duration.ofNanos(left))) {
        Optional<ObjectNode> cm = c.get("v1", "ConfigMap", "kube-public", "cluster-info", Duration.ofNanos(left));
        if (cm.isPresent()) {
          String content = cm.get().path("data").path("kubeconfig").asText("");
          if (!content.isEmpty()) {
            try {
              DiscoveredConfig refreshed = parseClusterInfo(content, probe);
              if (!refreshed.server().equals(cfg.server())) {
                warnings.add("the API server endpoint " + cfg.server() + " in use is different from the endpoint "
                    + refreshed.server() + " in the cluster-info ConfigMap");
              }
            } catch (WorkerException e) {
              warnings.add(e.getMessage() + "; the TLS certificate is valid, so proceeding");
            }
          }
          break;
        }
        last = "the cluster-info ConfigMap does not exist";
      } catch (KubeException e) {
        if ("kube.forbidden".equals(e.code()) || "kube.unauthorized".equals(e.code())) {
          warnings.add("could not read cluster-info anonymously (" + e.getMessage() + "), but the TLS certificate is "
              + "valid, so proceeding");
          break;
        }
        if ("kube.redirect".equals(e.code())) {
          throw DiscoveryException.refused("redirect", e.getMessage(), e);
        }
        if ("kube.tls".equals(e.code())) {
          throw DiscoveryException.refused("untrusted_server", "the server " + root + " named in " + in.file
              + " does not verify against the discovery file's CA: " + e.getMessage(), e);
        }
        last = e.getMessage();
      }
      pause(interval, deadline);
    }
    byte[] asIs = in.token == null ? bytes : null;
    return new Found("file", cfg.server(), in.token == null ? cfg.clusterName() : CLUSTER_NAME, cfg.caPem(), ca, asIs,
        warnings);
  }

  /** Waits one retry interval, or until the deadline when that comes first. */
  private static void pause(Duration interval, long deadline) {
    long sleep = Math.min(interval.toNanos(), deadline - System.nanoTime());
    if (sleep > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw DiscoveryException.timedOut("interrupted while waiting for cluster-info", e);
      }
    }
  }

  // ---- output ----------------------------------------------------------------------------------

  /** bootstrap-kubelet.conf as kubeadm's {@code CreateWithToken} + {@code clientcmd.Write} render it. */
  static String bootstrapKubeconfig(String server, byte[] caPem, String token) {
    Map<String, Object> cluster = new LinkedHashMap<>();
    cluster.put("certificate-authority-data", Base64.getEncoder().encodeToString(caPem));
    cluster.put("server", server);
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("cluster", CLUSTER_NAME);
    context.put("user", TOKEN_USER);
    String contextName = TOKEN_USER + "@" + CLUSTER_NAME;
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("apiVersion", "v1");
    cfg.put("clusters", List.of(Map.of("cluster", cluster, "name", CLUSTER_NAME)));
    cfg.put("contexts", List.of(Map.of("context", context, "name", contextName)));
    cfg.put("current-context", contextName);
    cfg.put("kind", "Config");
    cfg.put("users", List.of(Map.of("name", TOKEN_USER, "user", Map.of("token", token))));
    return KubeYaml.render(cfg);
  }

  private PhaseResult write(Input in, Found found, long deadline, boolean dryRun) {
    List<String> warnings = new ArrayList<>(found.warnings);
    String clusterConfiguration = clusterConfiguration(in, found, deadline, warnings);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("method", found.method);
    result.put("server", found.server);
    result.put("cluster_name", found.clusterName);
    result.put("ca_cert", found.caPem == null ? null : new String(found.caPem, StandardCharsets.UTF_8));
    result.put("ca_cert_hash", found.ca.isEmpty() ? null : CaCertHash.of(found.ca.get(0)));
    result.put("cluster_configuration", clusterConfiguration);
    List<Map<String, Object>> files = new ArrayList<>();
    List<String> backups = new ArrayList<>();
    boolean changed = false;
    if (in.kubeconfigDir != null || in.certDir != null) {
      if (found.caPem == null) {
        throw DiscoveryException.refused("no_ca", "cluster-info names no CA, so neither " + BOOTSTRAP_KUBECONFIG
            + " nor ca.crt can be written");
      }
      List<SafeFiles> targets = new ArrayList<>();
      SafeFiles conf = in.kubeconfigDir == null ? null : SafeFiles.under(in.kubeconfigDir, "discovery", "kubeconfig_dir");
      SafeFiles pki = in.certDir == null ? null : SafeFiles.under(in.certDir, "discovery", "cert_dir");
      if (conf != null) {
        targets.add(conf);
      }
      if (pki != null) {
        targets.add(pki);
      }
      Instant now = Instant.now();
      try (FileReconciler r = FileReconciler.open("discovery", dryRun, targets.toArray(SafeFiles[]::new))) {
        if (conf != null) {
          byte[] content = found.kubeconfigAsIs != null ? found.kubeconfigAsIs
              : bootstrapKubeconfig(found.server, found.caPem, in.token).getBytes(StandardCharsets.UTF_8);
          changed |= reconcile(r, conf, BOOTSTRAP_KUBECONFIG, content, SafeFiles.PRIVATE, in, dryRun, now, files, backups);
        }
        if (pki != null) {
          changed |= reconcile(r, pki, "ca.crt", found.caPem, SafeFiles.PUBLIC, in, dryRun, now, files, backups);
        }
        result.put("files", files);
        result.put("backups", backups);
        return r.finish(new PhaseResult(changed, warnings, result, null));
      }
    }
    result.put("files", files);
    result.put("backups", backups);
    return new PhaseResult(false, warnings, result, null);
  }

  private static boolean reconcile(FileReconciler r, SafeFiles t, String name, byte[] content,
                                   Set<java.nio.file.attribute.PosixFilePermission> mode, Input in, boolean dryRun,
                                   Instant now, List<Map<String, Object>> files, List<String> backups) {
    FileReconciler.Compared c = FileReconciler.compare(t, name, content, MAX_FILE, Arrays::equals);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", name);
    row.put("path", t.root().resolve(name).toString());
    row.put("action", c.change().label());
    files.add(row);
    if (c.change() == FileReconciler.Change.KEPT) {
      return false;
    }
    r.commit(t, List.of(new FileReconciler.Desired(name, content, mode)), in.backup, now)
        .forEach(p -> backups.add(p.toString()));
    return true;
  }
}
