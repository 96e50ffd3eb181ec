package io.kubeforge.worker.api;

import io.kubeforge.worker.certinfo.CertInfoOptions;
import io.kubeforge.worker.certinfo.CertInfoPhase;
import io.kubeforge.worker.cluster.ClusterBootstrapPhase;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.encryption.EncryptionConfigPhase;
import io.kubeforge.worker.kubeconfig.KubeconfigPhase;
import io.kubeforge.worker.kubelet.KubeletConfigPhase;
import io.kubeforge.worker.manifests.ManifestsPhase;
import io.kubeforge.worker.pki.KeyPool;
import io.kubeforge.worker.pki.PkiPhase;
import io.kubeforge.worker.preflight.PreflightPhase;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Capabilities is the catalog of worker calls: one {@code POST /v1/<name>} each. Adding a call
 * means adding one line here; the HTTP layer, the envelope and the failure handling are shared.
 */
public final class Capabilities {
  private Capabilities() {}

  /** Returns every capability keyed by its path under {@code /v1/}, in documentation order. */
  public static Map<String, Capability> all() {
    PkiPhase pki = new PkiPhase();
    CertInfoPhase certInfo = new CertInfoPhase();
    Map<String, Capability> all = new LinkedHashMap<>();
    all.put("pki", (body, dryRun) -> pki.run(ClusterModel.pkiRequest(body), dryRun));
    all.put("cert-info", (body, dryRun) -> certInfo.run(CertInfoOptions.fromMap(body)));
    all.put("kubeconfigs", new KubeconfigPhase()::run);
    all.put("static-pods", new ManifestsPhase()::run);
    all.put("encryption-config", new EncryptionConfigPhase()::run);
    all.put("kubelet-config", new KubeletConfigPhase()::run);
    all.put("bootstrap-token", new io.kubeforge.worker.bootstraptoken.BootstrapTokenPhase()::run);
    all.put("upload-certs", new io.kubeforge.worker.uploadcerts.UploadCertsPhase()::run);
    all.put("download-certs", new io.kubeforge.worker.downloadcerts.DownloadCertsPhase()::run);
    all.put("discovery", new io.kubeforge.worker.discovery.DiscoveryPhase()::run);
    all.put("csr-approve", new io.kubeforge.worker.csrapprove.CsrApprovePhase()::run);
    all.put("cluster-bootstrap", new ClusterBootstrapPhase()::run);
    all.put("preflight", new PreflightPhase()::run);
    // A worker is idle when no call runs: the key pool makes keys ahead only then.
    all.replaceAll((name, call) -> (body, dryRun) -> {
      try (KeyPool.Busy busy = KeyPool.shared().busy()) {
        return call.run(body, dryRun);
      }
    });
    return all;
  }
}
