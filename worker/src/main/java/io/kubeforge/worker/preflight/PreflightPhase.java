package io.kubeforge.worker.preflight;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.preflight.PreflightChecks.Mode;
import io.kubeforge.worker.preflight.PreflightChecks.Plan;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * PreflightPhase runs kubeadm's preflight checks for {@code init}, {@code join} or
 * {@code join_control_plane} on this host and returns each as data: {@code name} (kubeadm's),
 * {@code severity} ({@code error|warning}, after {@code ignore}), {@code passed}, {@code ignored}
 * and {@code message} (kubeadm's wording, empty when passed), plus {@code error_count} and
 * {@code warning_count}. It only reads; nothing is ever written, so a dry run is the same run.
 *
 * <p>{@code ignore} is kubeadm's {@code --ignore-preflight-errors}: check names, case-insensitive,
 * or {@code all}, merged with {@code nodeRegistration.ignorePreflightErrors} of
 * {@code kubeadm_config} as kubeadm merges the flag with the configuration; an ignored error
 * becomes a warning. kubeadm's join-control-plane conditions
 * ({@code ControlPlaneEndpoint}, {@code SharedCertificates}) cannot be ignored, as in kubeadm.
 */
public final class PreflightPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "mode", "ignore", "certificate_key", "api_server_endpoint");
  /** Code of a bad {@code mode}, {@code ignore} or {@code certificate_key}. */
  public static final String INVALID = "preflight.invalid_value";

  private final Host host;

  /** Creates the phase against the real host. */
  public PreflightPhase() {
    this(Host.system());
  }

  /** Creates the phase against a given host view (tests: a folder as {@code /proc}, short timeouts). */
  public PreflightPhase(Host host) {
    this.host = host;
  }

  /** Decodes a request body and runs for the worker's {@code Capability} contract; a dry run is the same read-only run. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    RequestFields req = RequestOptions.fields(body, OWN_FIELDS);
    String modeText = req.string("mode").orElse("init");
    Mode mode = java.util.Arrays.stream(Mode.values()).filter(x -> x.wire().equals(modeText)).findFirst()
        .orElseThrow(() -> WorkerException.badInput(INVALID, "mode",
            "'" + modeText + "' must be one of init, join, join_control_plane"));
    Optional<String> key = req.string("certificate_key");
    if (key.isPresent() && !key.get().matches("[0-9a-fA-F]{64}")) {
      throw WorkerException.badInput(INVALID, "certificate_key", "must be 64 hexadecimal characters (32 bytes)");
    }
    String discovery = req.string("api_server_endpoint").filter(s -> !s.isEmpty())
        .orElse(mode == Mode.INIT ? null : m.controlPlaneEndpoint());
    return run(m, new Plan(mode, key.isPresent(), discovery),
        ignoreSet(req.stringList("ignore"), m.ignorePreflightErrors()));
  }

  /** Same as {@link #ignoreSet(List, List)} with nothing from the configuration. */
  static Set<String> ignoreSet(List<String> names) {
    return ignoreSet(names, List.of());
  }

  /**
   * kubeadm's {@code ValidateIgnorePreflightErrors}: the names of the configuration's
   * {@code nodeRegistration.ignorePreflightErrors} and of {@code ignore} (the flag) in one
   * lower-cased set; {@code all} (also allowed in the configuration) must stand alone.
   */
  static Set<String> ignoreSet(List<String> names, List<String> fromConfig) {
    Set<String> out = new LinkedHashSet<>();
    for (String n : fromConfig) {
      out.add(n.toLowerCase(Locale.ROOT));
    }
    for (String n : names) {
      out.add(n.trim().toLowerCase(Locale.ROOT));
    }
    if (out.contains("all") && out.size() > 1) {
      throw WorkerException.badInput(INVALID, names.isEmpty() ? RequestOptions.KUBEADM_CONFIG : "ignore",
          "don't specify individual checks if 'all' is used (the ignore option and the configuration's "
          + "nodeRegistration.ignorePreflightErrors are merged)");
    }
    return out;
  }

  /** Runs every check of the plan, in kubeadm's order. */
  PhaseResult run(ClusterModel m, Plan plan, Set<String> ignore) {
    List<Object> checks = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    int errors = 0;
    int warningCount = 0;
    for (Check c : PreflightChecks.forPlan(plan, m)) {
      Optional<String> failure = c.probe().failure(host);
      boolean ignored = c.ignorable() && (ignore.contains("all") || ignore.contains(c.name().toLowerCase(Locale.ROOT)));
      Check.Severity severity = ignored ? Check.Severity.WARNING : c.severity();
      if (failure.isPresent()) {
        if (severity == Check.Severity.ERROR) {
          errors++;
        } else {
          warningCount++;
          warnings.add("[WARNING " + c.name() + "]: " + failure.get());
        }
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", c.name());
      row.put("severity", severity.wire());
      row.put("passed", failure.isEmpty());
      row.put("ignored", ignored);
      row.put("message", failure.orElse(""));
      checks.add(row);
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("mode", plan.mode().wire());
    result.put("checks", checks);
    result.put("error_count", errors);
    result.put("warning_count", warningCount);
    result.put("not_checked", PreflightChecks.NOT_CHECKED);
    return new PhaseResult(false, warnings, result, null);
  }
}
