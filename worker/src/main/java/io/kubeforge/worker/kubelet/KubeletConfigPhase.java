package io.kubeforge.worker.kubelet;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * KubeletConfigPhase writes the KubeletConfiguration: absent → created; equal once parsed →
 * kept; different → replaced after a backup. Mode 0644 (kubeadm writes it 0644; it holds no
 * secret), atomic write, nothing written in a dry run.
 */
public final class KubeletConfigPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "backup");
  private static final int MAX_FILE = 1 << 20;

  private final HostProbe host;
  private final Clock clock;

  /** Creates the phase against the real host. */
  public KubeletConfigPhase() {
    this(HostProbe.SYSTEM, Clock.systemUTC());
  }

  /** Creates the phase with an injected host probe and clock (tests). */
  public KubeletConfigPhase(HostProbe host, Clock clock) {
    this.host = host;
    this.clock = clock;
  }

  /** Decodes a request body ({@code dry_run}, {@code backup}) and runs the phase. */
  public PhaseResult run(Map<String, Object> body) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    Set<String> allowed = new HashSet<>(RequestOptions.MODEL_FIELDS);
    allowed.addAll(OWN_FIELDS);
    RequestFields f = RequestFields.of(body, allowed);
    return run(m, f.bool("dry_run", false), f.bool("backup", true));
  }

  /** Decodes a request body and runs for the worker's {@code Capability} contract ({@code dryRun} from the envelope). */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    Set<String> allowed = new HashSet<>(RequestOptions.MODEL_FIELDS);
    allowed.addAll(OWN_FIELDS);
    return run(m, dryRun, RequestFields.of(body, allowed).bool("backup", true));
  }

  /** Runs the phase with backups on. */
  public PhaseResult run(ClusterModel m, boolean dryRun) {
    return run(m, dryRun, true);
  }

  /** Runs the phase; see the class comment. Concurrent calls for one file are serialised. */
  public PhaseResult run(ClusterModel m, boolean dryRun, boolean backup) {
    io.kubeforge.worker.support.DirLock lock = io.kubeforge.worker.support.DirLock.inJvm(m.kubeletConfigPath().getParent(), 60, "kubelet");
    try {
      return runLocked(m, dryRun, backup);
    } finally {
      lock.close();
    }
  }

  private PhaseResult runLocked(ClusterModel m, boolean dryRun, boolean backup) {
    List<String> warnings = new ArrayList<>();
    String content = KubeletConfigRenderer.render(m, host, warnings);
    Path path = m.kubeletConfigPath();
    SafeFiles files = SafeFiles.under(path.getParent(), "kubelet");
    String name = path.getFileName().toString();
    byte[] existing = files.rootExists() ? files.read(name, MAX_FILE).orElse(null) : null;
    String action = existing == null ? "created" : same(existing, content) ? "kept" : "updated";
    List<Object> backups = new ArrayList<>();
    boolean changed = !action.equals("kept");
    if (changed && !dryRun) {
      if (existing != null && backup) {
        files.backup(name, clock.instant(), SafeFiles.PRIVATE).ifPresent(p -> backups.add(p.toString()));
      }
      files.write(name, content.getBytes(StandardCharsets.UTF_8), SafeFiles.PUBLIC);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("path", path.toString());
    result.put("action", action);
    result.put("cluster_dns", List.of(m.clusterDnsIp()));
    result.put("cluster_domain", m.dnsDomain());
    result.put("static_pod_path", m.manifestDir().toString());
    result.put("backups", backups);
    Map<String, Object> diff = changed
        ? Map.of("before", existing == null ? "" : new String(existing, StandardCharsets.UTF_8), "after", content)
        : null;
    return new PhaseResult(changed, warnings, result, diff);
  }

  private static boolean same(byte[] existing, String rendered) {
    try {
      return Objects.equals(SafeYaml.load(new String(existing, StandardCharsets.UTF_8), "kubelet_config_path"),
          SafeYaml.load(rendered, "kubelet_config_path"));
    } catch (WorkerException e) {
      return false;
    }
  }
}
