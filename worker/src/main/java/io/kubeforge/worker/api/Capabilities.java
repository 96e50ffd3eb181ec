package io.kubeforge.worker.api;

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
    Map<String, Capability> all = new LinkedHashMap<>();
    return all;
  }
}
