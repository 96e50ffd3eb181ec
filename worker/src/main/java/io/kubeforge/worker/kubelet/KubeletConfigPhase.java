package io.kubeforge.worker.kubelet;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.FileReconciler;
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
 * KubeletConfigPhase writes what kubeadm v1.34's kubelet-start phase writes into the kubelet's
 * directory (the directory of {@code kubelet_config_path}): the KubeletConfiguration
 * ({@code config.yaml} or the configured name), {@code instance-config.yaml} (with
 * NodeLocalCRISocket) and {@code kubeadm-flags.env}. Each file: absent → created; equal (the
 * YAML parsed, the env file byte for byte) → kept; different → replaced after a backup. Mode
 * 0644 as kubeadm (no secrets), atomic writes, nothing written in a dry run.
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

  /** Decodes a request body and runs for the worker's {@code Capability} contract ({@code dryRun} from the envelope). */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    return run(m, dryRun, RequestOptions.fields(body, OWN_FIELDS).bool("backup", true));
  }

  /** Runs the phase with backups on. */
  public PhaseResult run(ClusterModel m, boolean dryRun) {
    return run(m, dryRun, true);
  }

  /** Runs the phase; see the class comment. Concurrent calls for one directory are serialised. */
  public PhaseResult run(ClusterModel m, boolean dryRun, boolean backup) {
    SafeFiles files = SafeFiles.under(m.kubeletConfigPath().getParent(), "kubelet", "kubelet_config_path");
    try (FileReconciler r = FileReconciler.open("kubelet", dryRun, files)) {
      return r.finish(runLocked(r, files, m, dryRun, backup));
    }
  }

  /** Renders every file of the phase, keyed by file name. */
  public Map<String, String> render(ClusterModel m, List<String> warnings) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(m.kubeletConfigPath().getFileName().toString(), KubeletConfigRenderer.render(m, host, warnings));
    if (KubeletFlags.nodeLocalCriSocket(m)) {
      files.put(KubeletFlags.INSTANCE_FILE, KubeletFlags.instanceFile(m));
    }
    files.put(KubeletFlags.FLAGS_FILE, KubeletFlags.envFile(m, host));
    return files;
  }

  private PhaseResult runLocked(FileReconciler rec, SafeFiles files, ClusterModel m, boolean dryRun, boolean backup) {
    List<String> warnings = new ArrayList<>();
    Path dir = files.root();
    List<FileReconciler.Desired> writes = new ArrayList<>();
    List<Object> results = new ArrayList<>();
    List<Object> backups = new ArrayList<>();
    StringBuilder before = new StringBuilder();
    StringBuilder after = new StringBuilder();
    boolean changed = false;
    String configAction = null;
    for (Map.Entry<String, String> e : render(m, warnings).entrySet()) {
      String name = e.getKey();
      String content = e.getValue();
      FileReconciler.Compared c = FileReconciler.compare(files, name, content.getBytes(StandardCharsets.UTF_8),
          MAX_FILE, (a, b) -> same(a, content, name));
      byte[] existing = c.existing();
      String action = c.change().label();
      if (configAction == null) {
        configAction = action;
      }
      if (!action.equals("kept")) {
        changed = true;
        before.append("# ").append(dir.resolve(name)).append('\n')
            .append(existing == null ? "" : new String(existing, StandardCharsets.UTF_8));
        after.append("# ").append(dir.resolve(name)).append('\n').append(content);
        writes.add(new FileReconciler.Desired(name, content.getBytes(StandardCharsets.UTF_8), SafeFiles.PUBLIC));
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", name);
      r.put("path", dir.resolve(name).toString());
      r.put("action", action);
      results.add(r);
    }
    rec.commit(files, writes, backup, clock.instant()).forEach(p -> backups.add(p.toString()));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("path", m.kubeletConfigPath().toString());
    result.put("action", configAction);
    result.put("files", results);
    result.put("cluster_dns", List.of(m.clusterDnsIp()));
    result.put("cluster_domain", m.dnsDomain());
    result.put("static_pod_path", m.manifestDir().toString());
    result.put("backups", backups);
    Map<String, Object> diff = changed ? Map.of("before", before.toString(), "after", after.toString()) : null;
    return new PhaseResult(changed, warnings, result, diff);
  }

  private static boolean same(byte[] existing, String rendered, String name) {
    String text = new String(existing, StandardCharsets.UTF_8);
    if (name.endsWith(".env")) {
      return text.equals(rendered);
    }
    try {
      return Objects.equals(SafeYaml.load(text, "kubelet_config_path"), SafeYaml.load(rendered, "kubelet_config_path"));
    } catch (WorkerException e) {
      return false;
    }
  }
}
