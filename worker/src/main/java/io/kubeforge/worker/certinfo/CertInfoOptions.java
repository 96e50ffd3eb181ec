package io.kubeforge.worker.certinfo;

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
   * Validates a request body: unknown fields, wrong types and relative paths are bad input
   * ({@code request.unknown_field}, {@code request.wrong_type}, {@code certinfo.invalid_path}).
   * {@code dry_run} is tolerated and ignored, as the call never writes.
   */
  public static CertInfoOptions fromMap(Map<String, Object> body) {
    RequestFields f = RequestFields.of(body, FIELDS);
    f.bool("dry_run", false);
    return new CertInfoOptions(
        f.absolutePath("cert_dir", "/etc/kubernetes/pki", "certinfo.invalid_path"),
        f.absolutePath("kubeconfig_dir", "/etc/kubernetes", "certinfo.invalid_path"));
  }
}
