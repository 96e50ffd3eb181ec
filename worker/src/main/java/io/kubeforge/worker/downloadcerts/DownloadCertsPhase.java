package io.kubeforge.worker.downloadcerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.Defaults;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.kube.BootstrapToken;
import io.kubeforge.worker.kube.ClusterAccess;
import io.kubeforge.worker.kube.KubeException;
import io.kubeforge.worker.kube.KubeadmCerts;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.AesGcm;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
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

/** DownloadCertsPhase serves {@code POST /v1/download-certs}; see the package documentation. */
public final class DownloadCertsPhase {
  /** The fields of the request. */
  public static final Set<String> FIELDS;
  private static final String INVALID = "download_certs.invalid";

  static {
    Set<String> f = new HashSet<>(ClusterAccess.FIELDS);
    f.addAll(Set.of("cert_dir", "certificate_key", "etcd_external_ca_file", "etcd_external_cert_file",
        "etcd_external_key_file", "backup"));
    FIELDS = Set.copyOf(f);
  }

  /** One file to write. */
  private record Entry(String key, Path path, byte[] content, boolean privateKey) {}

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    RequestFields f = RequestFields.of(body, FIELDS);
    Path certDir = InputPaths.directory(f.string("cert_dir").orElse(Defaults.CERT_DIR), "cert_dir");
    byte[] key = certificateKey(f.string("certificate_key").orElse(""));
    Path[] externalFiles = InputPaths.externalEtcdFiles(f);
    boolean backup = f.bool("backup", true);
    try {
      List<Entry> entries;
      try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
        ObjectNode secret;
        try {
          secret = access.client().get("v1", "Secret", KubeadmCerts.NAMESPACE, KubeadmCerts.SECRET)
              .orElseThrow(() -> WorkerException.conflict("download_certs.not_found", KubeadmCerts.NOT_FOUND));
        } catch (KubeException e) {
          throw e;
        }
        checkOwner(access, secret);
        if (externalFiles == null && secret.path("data").has("external-etcd-ca.crt")) {
          // uploaded for external etcd and no etcd_external_* options: the files go where the
          // cluster's ClusterConfiguration names them (kubeadm join takes them from the same)
          externalFiles = KubeadmCerts.fromCluster(access.client());
        }
        entries = open(secret, KubeadmCerts.files(certDir, externalFiles), key);
      }
      return write(certDir, entries, dryRun, backup);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** kubeadm accepts any AES key size: 32, 48 or 64 hexadecimal characters. */
  static byte[] certificateKey(String hex) {
    if (hex.isEmpty()) {
      throw WorkerException.badInput(RequestFields.MISSING_FIELD, "certificate_key", "is required");
    }
    if (!hex.matches("[0-9a-fA-F]*") || !(hex.length() == 32 || hex.length() == 48 || hex.length() == 64)) {
      throw WorkerException.badInput(INVALID, "certificate_key", "must be 32, 48 or 64 hexadecimal characters "
          + "(an AES-128, -192 or -256 key; kubeadm makes 64)");
    }
    return HexFormat.of().parseHex(hex);
  }

  /**
   * The Secret lives as long as its owner token (the garbage collector deletes it some time after
   * the token cleaner removed the expired token): an owner that is gone or expired is an error.
   * Credentials that may not read the token (a joining node's bootstrap token) skip the check.
   */
  private static void checkOwner(ClusterAccess.Opened access, ObjectNode secret) {
    for (JsonNode ref : secret.path("metadata").path("ownerReferences")) {
      String name = ref.path("name").asText("");
      if (!ref.path("kind").asText().equals("Secret") || !name.startsWith(BootstrapToken.SECRET_PREFIX)) {
        continue;
      }
      Optional<ObjectNode> owner;
      try {
        owner = access.client().get("v1", "Secret", BootstrapToken.NAMESPACE, name);
      } catch (KubeException e) {
        if (e.status() == 403) {
          return;
        }
        throw e;
      }
      Optional<BootstrapToken> token = owner.flatMap(BootstrapToken::fromSecret);
      if (owner.isEmpty() || token.map(t -> t.expiredAt(Instant.now())).orElse(false)) {
        throw WorkerException.conflict("download_certs.expired", "Secret \"kubeadm-certs\" in \"kube-system\" has "
            + "expired: its owner token " + name + (owner.isEmpty() ? " is gone" : " expired at "
            + token.get().expires()) + " and the garbage collector will delete it. Run `kubeadm init phase "
            + "upload-certs --upload-certs` (or kubeforge.cluster.upload_certs) on a control plane for a new one");
      }
    }
  }

  /** Opens every entry before anything is written; any failure writes nothing. */
  private static List<Entry> open(ObjectNode secret, Map<String, Path> layout, byte[] key) {
    JsonNode data = secret.path("data");
    List<Entry> out = new ArrayList<>();
    for (Map.Entry<String, Path> e : layout.entrySet()) {
      String name = e.getKey();
      if (!data.has(name)) {
        throw WorkerException.conflict("download_certs.incomplete", "the Secret \"kubeadm-certs\" does not include the "
            + "required certificate or key - name: " + name + ", path: " + e.getValue() + " (uploaded for "
            + (name.startsWith("external-") ? "local" : "external") + " etcd?); nothing was written");
      }
      byte[] sealed;
      try {
        sealed = Base64.getDecoder().decode(data.get(name).asText(""));
      } catch (IllegalArgumentException x) {
        throw WorkerException.conflict("download_certs.invalid_secret", "the Secret's " + name + " is not base64");
      }
      if (sealed.length == 0) {
        continue; // kubeadm: an empty entry is not written
      }
      if (e.getValue() == null) {
        throw WorkerException.badInput(INVALID, name.equals("external-etcd-ca.crt") ? "etcd_external_ca_file"
            : name.equals("external-etcd.crt") ? "etcd_external_cert_file" : "etcd_external_key_file",
            "the Secret holds " + name + "; name the file it goes to");
      }
      byte[] plain;
      try {
        plain = AesGcm.open(sealed, key);
      } catch (IllegalArgumentException x) {
        throw WorkerException.conflict("download_certs.wrong_key", "error decoding the Secret \"kubeadm-certs\" with "
            + "the provided certificate key: " + name + " does not open (" + x.getMessage() + "); check "
            + "certificate_key (the one upload_certs or kubeadm init --upload-certs printed). Nothing was written");
      }
      out.add(new Entry(name, e.getValue(), plain, kind(name, plain)));
    }
    return out;
  }

  /** kubeadm's {@code writeCertOrKey}: a private key (0600), else certificates or public keys (0644). */
  private static boolean kind(String name, byte[] plain) {
    try {
      Pem.parsePrivateKey(plain);
      return true;
    } catch (IllegalArgumentException e) {
      // not a private key
    }
    try {
      if (!Pem.parsePublicKeys(plain).isEmpty()) {
        return false;
      }
    } catch (IllegalArgumentException e) {
      // not a public key
    }
    try {
      Pem.parseCertificates(plain);
      return false;
    } catch (IllegalArgumentException e) {
      throw WorkerException.conflict("download_certs.invalid_secret", "unknown data found in the Secret entry " + name
          + " (neither a private key nor certificates or public keys); nothing was written");
    }
  }

  private static PhaseResult write(Path certDir, List<Entry> entries, boolean dryRun, boolean backup) {
    // one target per folder: cert_dir holds the relative paths, external etcd files their own folders
    Map<Path, SafeFiles> targets = new LinkedHashMap<>();
    targets.put(certDir, SafeFiles.under(certDir, "download_certs", "cert_dir", SafeFiles.DIRECTORY));
    for (Entry e : entries) {
      if (!e.path.startsWith(certDir)) {
        Path dir = e.path.toAbsolutePath().getParent();
        targets.computeIfAbsent(dir, d -> SafeFiles.under(d, "download_certs", "etcd_external_ca_file"));
      }
    }
    Instant now = Instant.now();
    List<Map<String, Object>> files = new ArrayList<>();
    List<String> backups = new ArrayList<>();
    boolean changed = false;
    try (FileReconciler r = FileReconciler.open("download_certs", dryRun, targets.values().toArray(SafeFiles[]::new))) {
      Map<SafeFiles, List<FileReconciler.Desired>> writes = new LinkedHashMap<>();
      for (Entry e : entries) {
        SafeFiles t = e.path.startsWith(certDir) ? targets.get(certDir) : targets.get(e.path.toAbsolutePath().getParent());
        String rel = t.root().relativize(e.path).toString();
        FileReconciler.Compared c = FileReconciler.compare(t, rel, e.content, 1 << 20, Arrays::equals);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("key", e.key);
        row.put("path", e.path.toString());
        row.put("mode", e.privateKey ? "0600" : "0644");
        row.put("action", c.change().label());
        files.add(row);
        if (c.change() != FileReconciler.Change.KEPT) {
          changed = true;
          Set<PosixFilePermission> mode = e.privateKey ? SafeFiles.PRIVATE : SafeFiles.PUBLIC;
          String unit = rel.replaceAll("\\.(crt|key|pub)$", "");
          writes.computeIfAbsent(t, x -> new ArrayList<>()).add(new FileReconciler.Desired(rel, e.content, mode, unit));
        }
      }
      writes.forEach((t, list) -> r.commit(t, list, backup, now).forEach(p -> backups.add(p.toString())));
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("cert_dir", certDir.toString());
      result.put("files", files);
      result.put("backups", backups);
      return r.finish(new PhaseResult(changed, List.of(), result, null));
    } finally {
      entries.forEach(e -> Arrays.fill(e.content, (byte) 0));
    }
  }
}
