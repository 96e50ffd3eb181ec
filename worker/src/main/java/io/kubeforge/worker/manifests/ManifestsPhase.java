package io.kubeforge.worker.manifests;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.kube.EtcdClient;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * ManifestsPhase writes the control plane's static Pod manifests: absent → created; present and
 * equal once parsed → kept; different (or unparsable) → replaced after a backup. Backups go to
 * {@code <kubeconfig_dir>/tmp/kubeforge-backup-manifests/}, never into the manifest directory,
 * because the kubelet runs every non-dot file there as a static Pod. Files are 0600, the
 * directory 0700 when created, every write atomic. In a dry run nothing is written.
 */
public final class ManifestsPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "backup", "etcd_join");
  private static final int MAX_MANIFEST = 1 << 20;

  private final HostProbe host;
  private final Clock clock;

  /** Creates the phase against the real host and clock. */
  public ManifestsPhase() {
    this(HostProbe.SYSTEM, Clock.systemUTC());
  }

  /** Creates the phase with an injected host probe and clock (tests). */
  public ManifestsPhase(HostProbe host, Clock clock) {
    this.host = host;
    this.clock = clock;
  }

  /**
   * Runs the phase for the worker's {@code Capability} contract: {@code body} holds the model's
   * options and {@code backup}; {@code dryRun} comes from the envelope (a {@code dry_run} left in
   * the body is ignored).
   */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    boolean backup = io.kubeforge.worker.config.RequestOptions.fields(body, OWN_FIELDS).bool("backup", true);
    Optional<EtcdJoin.Options> join = EtcdJoin.parse(body.get("etcd_join"));
    if (join.isEmpty()) {
      return run(m, dryRun, backup);
    }
    EtcdJoin.requireStacked(m);
    m.requireAdvertiseAddress();
    if (dryRun && !EtcdJoin.clientFiles(m).stream().allMatch(Files::isRegularFile)) {
      return run(m, true, backup, new Joining(null, join.get()));
    }
    try (EtcdClient etcd = EtcdJoin.open(m, join.get())) {
      return run(m, dryRun, backup, new Joining(etcd, join.get()));
    }
  }

  /**
   * A local etcd member joining an existing cluster: the open membership client (null in a dry run
   * without the client certificate) and the option.
   */
  private record Joining(EtcdClient etcd, EtcdJoin.Options options) {}

  /** Renders every manifest of the model to bytes, keyed by file name (catalog order). */
  public Map<String, String> render(ClusterModel m, List<String> warnings) {
    Map<String, String> out = new LinkedHashMap<>();
    ComponentCatalog.render(m, host, warnings).forEach((name, pod) -> out.put(name + ".yaml", KubeYaml.render(pod)));
    return out;
  }

  /** Runs the phase with backups on. */
  public PhaseResult run(ClusterModel m, boolean dryRun) {
    return run(m, dryRun, true);
  }

  /** Runs the phase; see the class comment. Concurrent calls for one directory are serialised. */
  public PhaseResult run(ClusterModel m, boolean dryRun, boolean backup) {
    return run(m, dryRun, backup, null);
  }

  private PhaseResult run(ClusterModel m, boolean dryRun, boolean backup, Joining joining) {
    // staged outside: the kubelet runs every file of the manifest folder, so nothing temporary goes there
    SafeFiles files = SafeFiles.stagedOutside(m.manifestDir(), "manifests", "manifest_dir", SafeFiles.PRIVATE_DIRECTORY);
    // an existing backup folder is locked and healed too (a crash may have left a temporary backup there)
    Path backupRoot = m.kubeconfigDir().resolve("tmp").resolve("kubeforge-backup-manifests");
    SafeFiles backups = Files.isDirectory(backupRoot)
        ? SafeFiles.under(backupRoot, "manifests", "kubeconfig_dir", SafeFiles.PRIVATE_DIRECTORY) : null;
    try (FileReconciler r = backups == null ? FileReconciler.open("manifests", dryRun, files)
        : FileReconciler.open("manifests", dryRun, files, backups)) {
      return r.finish(runLocked(r, files, backup, backups, m, dryRun, joining));
    }
  }

  private PhaseResult runLocked(FileReconciler rec, SafeFiles files, boolean backup, SafeFiles existingBackups,
                                ClusterModel m, boolean dryRun, Joining joining) {
    List<String> warnings = new ArrayList<>();
    String w = Images.etcdWarning(m);
    if (w != null) {
      warnings.add(w);
    }
    if (joining == null && m.joinConfiguration() && !m.etcd().isExternal()) {
      warnings.add("etcd.yaml is not written for a JoinConfiguration without etcd_join: a joining etcd member needs "
          + "the cluster's member list (kubeadm join adds it as a learner first); pass etcd_join.endpoints");
    }
    EtcdJoin.Prepared prepared = null;
    if (joining != null && joining.etcd() == null) {
      prepared = EtcdJoin.unknownMembers(m);
      warnings.add("etcd_join: no " + EtcdJoin.clientFiles(m).get(1) + " yet (download_certs and pki not run), so the"
          + " members were not read: this member would be added as a learner and --initial-cluster lists only it here");
    } else if (joining != null) {
      prepared = EtcdJoin.prepare(joining.etcd(), m, joining.options(), dryRun);
    }
    Map<String, String> rendered = new LinkedHashMap<>();
    ComponentCatalog.render(m, host, warnings, prepared == null ? null : prepared.initialCluster())
        .forEach((name, pod) -> rendered.put(name + ".yaml", KubeYaml.render(pod)));
    List<FileReconciler.Desired> writes = new ArrayList<>();
    List<Object> manifests = new ArrayList<>();
    List<Object> backups = new ArrayList<>();
    StringBuilder before = new StringBuilder();
    StringBuilder after = new StringBuilder();
    boolean changed = false;
    for (Map.Entry<String, String> e : rendered.entrySet()) {
      String name = e.getKey();
      String content = e.getValue();
      FileReconciler.Compared c = FileReconciler.compare(files, name, content.getBytes(StandardCharsets.UTF_8),
          MAX_MANIFEST, (a, b) -> sameParsed(a, content));
      byte[] existing = c.existing();
      String action = c.change().label();
      String reason = c.change() == FileReconciler.Change.UPDATED ? "content differs from the rendered manifest" : null;
      Path path = m.manifestDir().resolve(name);
      if (!action.equals("kept")) {
        changed = true;
        before.append("# ").append(path).append('\n')
            .append(existing == null ? "" : new String(existing, StandardCharsets.UTF_8));
        after.append("# ").append(path).append('\n').append(content);
        writes.add(new FileReconciler.Desired(name, content.getBytes(StandardCharsets.UTF_8), SafeFiles.PRIVATE));
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", name.substring(0, name.length() - ".yaml".length()));
      r.put("path", path.toString());
      r.put("image", imageOf(content));
      r.put("action", action);
      if (reason != null) {
        r.put("reason", reason);
      }
      manifests.add(r);
    }
    if (!dryRun) {
      // backups go outside the manifest folder (made only when a file is replaced)
      boolean replaces = manifests.stream().anyMatch(r -> "updated".equals(((Map<?, ?>) r).get("action")));
      SafeFiles backupDir = !backup || !replaces ? null : existingBackups != null ? existingBackups
          : SafeFiles.under(m.kubeconfigDir().resolve("tmp").resolve("kubeforge-backup-manifests"), "manifests",
              "kubeconfig_dir", SafeFiles.PRIVATE_DIRECTORY);
      rec.commit(files, writes, backupDir, clock.instant()).forEach(p -> backups.add(p.toString()));
    }
    boolean promoted = false;
    if (prepared != null && !dryRun && prepared.learner()) {
      promoted = EtcdJoin.promote(joining.etcd(), prepared, joining.options());
    }
    Map<String, Object> result = new LinkedHashMap<>();
    if (prepared != null) {
      changed |= prepared.added() || promoted || (dryRun && prepared.learner());
      result.put("etcd_member", EtcdJoin.fact(m, prepared, promoted, dryRun, joining.options().endpoints()));
    }
    result.put("manifest_dir", m.manifestDir().toString());
    result.put("manifests", manifests);
    result.put("backups", backups);
    Map<String, Object> diff = changed ? Map.of("before", before.toString(), "after", after.toString()) : null;
    return new PhaseResult(changed, warnings, result, diff);
  }

  /** Compares an existing manifest with the rendered one as parsed YAML (kubeadm compares Pods, not bytes). */
  static boolean sameParsed(byte[] existing, String rendered) {
    try {
      Object a = SafeYaml.load(new String(existing, StandardCharsets.UTF_8), "manifest");
      Object b = SafeYaml.load(rendered, "manifest");
      return Objects.equals(a, b);
    } catch (WorkerException e) {
      return false;
    }
  }

  private static String imageOf(String manifest) {
    for (String line : manifest.split("\n")) {
      String t = line.trim();
      if (t.startsWith("image: ")) {
        return t.substring("image: ".length());
      }
    }
    return "";
  }
}
