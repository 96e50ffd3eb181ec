package io.kubeforge.worker.certinfo;

import io.kubeforge.worker.config.Defaults;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.support.RequestFields;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * CertInfoOptions is a validated {@code POST /v1/cert-info} request (docs/api.md).
 *
 * @param certDir absolute certificate directory, default {@code /etc/kubernetes/pki}
 * @param kubeconfigDir absolute kubeconfig directory, default {@code /etc/kubernetes}
 */
public record CertInfoOptions(Path certDir, Path kubeconfigDir) {
  private static final Set<String> FIELDS = Set.of("cert_dir", "kubeconfig_dir", "dry_run");

  /**
   * Validates a request body: unknown fields, wrong types and unusable paths are bad input
   * ({@code request.unknown_field}, {@code request.wrong_type}, {@code config.invalid_path}),
   * with the model's defaults and path rules.
   * {@code dry_run} is tolerated and ignored, as the call never writes.
   */
  public static CertInfoOptions fromMap(Map<String, Object> body) {
    RequestFields f = RequestFields.of(body, FIELDS);
    f.bool("dry_run", false);
    return new CertInfoOptions(
        InputPaths.absolute(f.string("cert_dir").orElse(Defaults.CERT_DIR), "cert_dir"),
        InputPaths.absolute(f.string("kubeconfig_dir").orElse(Defaults.KUBECONFIG_DIR), "kubeconfig_dir"));
  }
}
