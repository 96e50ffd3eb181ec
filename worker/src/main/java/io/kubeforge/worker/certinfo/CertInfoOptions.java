package io.kubeforge.worker.certinfo;

import io.kubeforge.worker.config.ConfigCodes;
import io.kubeforge.worker.config.Defaults;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.support.GoDuration;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * CertInfoOptions is a validated {@code POST /v1/cert-info} request (docs/api.md).
 *
 * @param certDir absolute certificate directory, default {@code /etc/kubernetes/pki}
 * @param kubeconfigDir absolute kubeconfig directory, default {@code /etc/kubernetes}
 * @param kubeletCertDir the kubelet's {@code --cert-dir}, default {@code /var/lib/kubelet/pki}
 * @param warnBefore items that expire within this duration (or have expired) are listed in
 *     {@code expiring}; default {@link #DEFAULT_WARN_BEFORE}
 */
public record CertInfoOptions(Path certDir, Path kubeconfigDir, Path kubeletCertDir, Duration warnBefore) {
  /** The kubelet's default {@code --cert-dir}. */
  public static final String KUBELET_CERT_DIR = "/var/lib/kubelet/pki";
  /** Default of {@code warn_before}: 30 days. */
  public static final Duration DEFAULT_WARN_BEFORE = Duration.ofDays(30);
  /** The fields of the request, and of the metrics configuration file. */
  public static final Set<String> FIELDS = Set.of("cert_dir", "kubeconfig_dir", "kubelet_cert_dir", "warn_before",
      "dry_run");

  /** Options with every default: kubeadm's and the kubelet's directories, 30 days. */
  public static CertInfoOptions defaults() {
    return fromMap(Map.of());
  }

  /**
   * Validates a request body: unknown fields, wrong types and unusable paths are bad input
   * ({@code request.unknown_field}, {@code request.wrong_type}, {@code config.invalid_path}),
   * with the model's defaults and path rules; {@code warn_before} is a Go duration of at least
   * zero ({@code config.invalid_duration}).
   * {@code dry_run} is tolerated and ignored, as the call never writes.
   */
  public static CertInfoOptions fromMap(Map<String, Object> body) {
    RequestFields f = RequestFields.of(body, FIELDS);
    f.bool("dry_run", false);
    Duration warn = f.string("warn_before").map(CertInfoOptions::warnBefore).orElse(DEFAULT_WARN_BEFORE);
    return new CertInfoOptions(
        InputPaths.absolute(f.string("cert_dir").orElse(Defaults.CERT_DIR), "cert_dir"),
        InputPaths.absolute(f.string("kubeconfig_dir").orElse(Defaults.KUBECONFIG_DIR), "kubeconfig_dir"),
        InputPaths.absolute(f.string("kubelet_cert_dir").orElse(KUBELET_CERT_DIR), "kubelet_cert_dir"),
        warn);
  }

  private static Duration warnBefore(String raw) {
    Duration d;
    try {
      d = GoDuration.parse(raw);
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, "warn_before", e.getMessage());
    }
    if (d.isNegative()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, "warn_before",
          "'" + raw + "' must not be negative (0 lists only what has expired)");
    }
    return d;
  }
}
