package io.kubeforge.worker.uploadcerts;

import io.kubeforge.worker.config.Defaults;
import io.kubeforge.worker.config.InputPaths;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.kube.Applied;
import io.kubeforge.worker.kube.BootstrapToken;
import io.kubeforge.worker.kube.ClusterAccess;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.kube.KubeadmCerts;
import io.kubeforge.worker.support.AesGcm;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** UploadCertsPhase serves {@code POST /v1/upload-certs}; see the package documentation. */
public final class UploadCertsPhase {
  /** The fields of the request. */
  public static final Set<String> FIELDS;
  /** The Secret's name. */
  public static final String SECRET = KubeadmCerts.SECRET;
  /** The Role's and RoleBinding's name. */
  public static final String RBAC_NAME = "kubeadm:kubeadm-certs";
  /** kubeadm's owner-token lifetime ({@code DefaultCertTokenDuration}). */
  public static final Duration OWNER_TTL = Duration.ofHours(2);
  /** An owner token with less time left than this is replaced. */
  public static final Duration MIN_OWNER_LIFE = Duration.ofMinutes(30);
  /** The owner token's description, as kubeadm's. */
  public static final String OWNER_DESCRIPTION = "Proxy for managing TTL for the kubeadm-certs secret";

  private static final String INVALID = "upload_certs.invalid";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  static {
    Set<String> f = new HashSet<>(ClusterAccess.FIELDS);
    f.addAll(Set.of("cert_dir", "certificate_key", "etcd_external_ca_file", "etcd_external_cert_file",
        "etcd_external_key_file"));
    FIELDS = Set.copyOf(f);
  }

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    RequestFields f = RequestFields.of(body, FIELDS);
    Path certDir = InputPaths.directory(f.string("cert_dir").orElse(Defaults.CERT_DIR), "cert_dir");
    Path[] given = InputPaths.externalEtcdFiles(f);
    boolean generated = f.string("certificate_key").isEmpty();
    byte[] key = generated ? randomKey() : certificateKey(f.string("certificate_key").get());
    try {
      try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
        // no etcd_external_* options: the cluster's own ClusterConfiguration says local or external
        Path[] externalFiles = given != null ? given : KubeadmCerts.fromCluster(access.client());
        Map<String, Path> files = new TreeMap<>();
        KubeadmCerts.files(certDir, externalFiles).forEach(files::put);
        Map<String, byte[]> plain = new TreeMap<>();
        files.forEach((name, path) -> plain.put(name, read(path, name)));
        return upload(access, plain, key, generated, dryRun);
      }
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static byte[] randomKey() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return key;
  }

  /** Decodes the option: exactly 64 hex characters (a 32-byte AES-256 key). */
  static byte[] certificateKey(String hex) {
    if (!hex.matches("[0-9a-fA-F]*") || hex.length() % 2 != 0) {
      throw WorkerException.badInput(INVALID, "certificate_key", "must be hexadecimal (64 characters for 32 bytes)");
    }
    if (hex.length() != 64) {
      throw WorkerException.badInput(INVALID, "certificate_key", "must be 32 bytes (64 hexadecimal characters), got "
          + hex.length() / 2 + " bytes");
    }
    return HexFormat.of().parseHex(hex);
  }

  private static byte[] read(Path path, String name) {
    if (path == null) {
      return new byte[0];
    }
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return new byte[0]; // as kubeadm: a missing file is an empty value
    } catch (IOException e) {
      throw WorkerException.conflict("upload_certs.unreadable", path + " (" + name + ") cannot be read: " + e.getMessage());
    }
  }

  private PhaseResult upload(ClusterAccess.Opened access, Map<String, byte[]> plain, byte[] key, boolean generated,
                             boolean dryRun) {
    KubeClient kube = access.client();
    Optional<ObjectNode> existing = kube.get("v1", "Secret", BootstrapToken.NAMESPACE, SECRET);
    List<Applied> applied = new ArrayList<>();

    // the owner: the current one while it has time left, else a fresh short-lived token
    Instant now = Instant.now();
    Optional<ObjectNode> owner = existing.flatMap(s -> ownerOf(kube, s))
        .filter(t -> BootstrapToken.fromSecret(t).map(b -> b.expires() != null
            && b.expires().isAfter(now.plus(MIN_OWNER_LIFE))).orElse(false));
    ObjectNode ownerSecret;
    if (owner.isPresent()) {
      ownerSecret = owner.get();
    } else {
      String[] parts = BootstrapToken.parse(BootstrapToken.generate(), "token");
      BootstrapToken token = new BootstrapToken(parts[0], parts[1], OWNER_DESCRIPTION,
          now.plus(OWNER_TTL).truncatedTo(ChronoUnit.SECONDS), List.of(), List.of());
      Applied t = kube.apply(token.toSecret(), true, dryRun);
      applied.add(t);
      ownerSecret = t.object();
    }

    ObjectNode secret = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "Secret");
    ObjectNode meta = secret.putObject("metadata").put("name", SECRET).put("namespace", BootstrapToken.NAMESPACE);
    meta.putArray("ownerReferences").addObject().put("apiVersion", "v1").put("kind", "Secret")
        .put("name", ownerSecret.at("/metadata/name").asText()).put("uid", ownerSecret.at("/metadata/uid").asText())
        .put("controller", true).put("blockOwnerDeletion", true);
    ObjectNode data = secret.putObject("data");
    List<String> empty = new ArrayList<>();
    plain.forEach((name, bytes) -> {
      if (bytes.length == 0) {
        empty.add(name);
      }
      data.put(name, Base64.getEncoder().encodeToString(sealed(existing, name, bytes, key)));
    });
    applied.addAll(kube.applyAll(List.of(secret, role(), roleBinding()), true, dryRun));

    Map<String, Object> result = new LinkedHashMap<>();
    if (access.clusterAdmins() != null) {
      result.put("cluster_admins", access.clusterAdminsFact());
    }
    result.put("certificate_key", HexFormat.of().formatHex(key));
    result.put("certificate_key_generated", generated);
    String ownerId = BootstrapToken.fromSecret(ownerSecret).map(BootstrapToken::id).orElse("");
    result.put("owner_token_id", ownerId);
    result.put("expires", BootstrapToken.fromSecret(ownerSecret).map(b -> b.expires().toString()).orElse(null));
    result.put("keys", new ArrayList<>(plain.keySet()));
    result.put("empty_keys", empty);
    result.put("objects", applied.stream().map(Applied::fact).toList());
    boolean changed = applied.stream().anyMatch(Applied::changed)
        || (access.clusterAdmins() != null && access.clusterAdmins().applied().changed());
    List<String> warnings = empty.isEmpty() ? List.of()
        : List.of("files missing, uploaded as empty values (as kubeadm does): " + String.join(", ", empty));
    return new PhaseResult(changed, warnings, result, null);
  }

  /** Keeps the existing sealed value when it opens under {@code key} to the same bytes. */
  private static byte[] sealed(Optional<ObjectNode> existing, String name, byte[] plain, byte[] key) {
    if (plain.length == 0) {
      return plain;
    }
    if (existing.isPresent()) {
      String old = existing.get().path("data").path(name).asText("");
      if (!old.isEmpty()) {
        try {
          byte[] oldSealed = Base64.getDecoder().decode(old);
          if (Arrays.equals(AesGcm.open(oldSealed, key), plain)) {
            return oldSealed;
          }
        } catch (IllegalArgumentException e) {
          // another key, or not ours: seal anew
        }
      }
    }
    return AesGcm.seal(plain, key);
  }

  private static Optional<ObjectNode> ownerOf(KubeClient kube, ObjectNode secret) {
    for (var ref : secret.path("metadata").path("ownerReferences")) {
      String name = ref.path("name").asText("");
      if (ref.path("kind").asText().equals("Secret") && name.startsWith(BootstrapToken.SECRET_PREFIX)) {
        return kube.get("v1", "Secret", BootstrapToken.NAMESPACE, name)
            .filter(t -> t.at("/metadata/uid").asText().equals(ref.path("uid").asText()));
      }
    }
    return Optional.empty();
  }

  static ObjectNode role() {
    ObjectNode role = JSON.createObjectNode().put("apiVersion", "rbac.authorization.k8s.io/v1").put("kind", "Role");
    role.putObject("metadata").put("name", RBAC_NAME).put("namespace", BootstrapToken.NAMESPACE);
    ObjectNode rule = role.putArray("rules").addObject();
    rule.putArray("verbs").add("get");
    rule.putArray("apiGroups").add("");
    rule.putArray("resources").add("secrets");
    rule.putArray("resourceNames").add(SECRET);
    return role;
  }

  static ObjectNode roleBinding() {
    ObjectNode rb = JSON.createObjectNode().put("apiVersion", "rbac.authorization.k8s.io/v1").put("kind", "RoleBinding");
    rb.putObject("metadata").put("name", RBAC_NAME).put("namespace", BootstrapToken.NAMESPACE);
    rb.putObject("roleRef").put("apiGroup", "rbac.authorization.k8s.io").put("kind", "Role").put("name", RBAC_NAME);
    rb.putArray("subjects").addObject().put("kind", "Group").put("name", BootstrapToken.DEFAULT_GROUP);
    return rb;
  }
}
