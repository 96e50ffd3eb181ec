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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Capabilities is the catalog of worker calls: one {@code POST /v1/<name>} each. Adding a call
 * means adding one line here; the HTTP layer, the envelope and the failure handling are shared.
 */
public final class Capabilities {
  private Capabilities() {}

  /**
   * Returns every capability keyed by its path under {@code /v1/}, in documentation order. Each
   * phase is made on its capability's first call, not here: the worker answers its first request
   * without loading what the calls use (catalogs, Jackson, YAML).
   */
  public static Map<String, Capability> all() {
    Map<String, Capability> all = new LinkedHashMap<>();
    all.put("pki", lazy(() -> {
      PkiPhase pki = new PkiPhase();
      return (body, dryRun) -> pki.run(ClusterModel.pkiRequest(body), dryRun);
    }));
    all.put("cert-info", lazy(() -> {
      CertInfoPhase certInfo = new CertInfoPhase();
      return (body, dryRun) -> certInfo.run(CertInfoOptions.fromMap(body));
    }));
    all.put("kubeconfigs", lazy(() -> new KubeconfigPhase()::run));
    all.put("static-pods", lazy(() -> new ManifestsPhase()::run));
    all.put("encryption-config", lazy(() -> new EncryptionConfigPhase()::run));
    all.put("kubelet-config", lazy(() -> new KubeletConfigPhase()::run));
    all.put("bootstrap-token", lazy(() -> new io.kubeforge.worker.bootstraptoken.BootstrapTokenPhase()::run));
    all.put("upload-certs", lazy(() -> new io.kubeforge.worker.uploadcerts.UploadCertsPhase()::run));
    all.put("download-certs", lazy(() -> new io.kubeforge.worker.downloadcerts.DownloadCertsPhase()::run));
    all.put("discovery", lazy(() -> new io.kubeforge.worker.discovery.DiscoveryPhase()::run));
    all.put("tls-bootstrap", lazy(() -> new io.kubeforge.worker.tlsbootstrap.TlsBootstrapPhase()::run));
    all.put("csr-approve", lazy(() -> new io.kubeforge.worker.csrapprove.CsrApprovePhase()::run));
    all.put("ca-rotate", lazy(() -> new io.kubeforge.worker.carotate.CaRotatePhase()::run));
    all.put("renew", lazy(() -> new io.kubeforge.worker.renew.RenewPhase()::run));
    all.put("generate-csr", lazy(() -> new io.kubeforge.worker.kubeconfig.GenerateCsrPhase()::run));
    all.put("cluster-bootstrap", lazy(() -> new ClusterBootstrapPhase()::run));
    all.put("reconfigure", lazy(() -> new Reconfigure()::run));
    all.put("preflight", lazy(() -> new PreflightPhase()::run));
    // A worker is idle when no call runs: the key pool makes keys ahead only then.
    all.replaceAll((name, call) -> (body, dryRun) -> {
      try (KeyPool.Busy busy = KeyPool.shared().busy()) {
        return call.run(body, dryRun);
      }
    });
    return all;
  }

  /** A capability whose phase {@code make} builds once, on the first call (calls may be concurrent). */
  private static Capability lazy(Supplier<Capability> make) {
    AtomicReference<Capability> made = new AtomicReference<>();
    return (body, dryRun) -> {
      Capability c = made.get();
      if (c == null) {
        synchronized (made) {
          c = made.get();
          if (c == null) {
            c = make.get();
            made.set(c);
          }
        }
      }
      return c.run(body, dryRun);
    };
  }
}
