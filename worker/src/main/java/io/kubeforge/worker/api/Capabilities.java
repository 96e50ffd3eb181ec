package io.kubeforge.worker.api;

import io.kubeforge.worker.certinfo.CertInfoOptions;
import io.kubeforge.worker.certinfo.CertInfoPhase;
import io.kubeforge.worker.pki.PkiOptions;
import io.kubeforge.worker.pki.PkiPhase;
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
    all.put("pki", (body, dryRun) -> pki.run(PkiOptions.fromMap(body), dryRun));
    all.put("cert-info", (body, dryRun) -> certInfo.run(CertInfoOptions.fromMap(body)));
    return all;
  }
}
