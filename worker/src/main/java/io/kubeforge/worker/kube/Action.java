package io.kubeforge.worker.kube;

import java.util.Locale;

/** What an apply did to one object; reported lowercase in facts. */
public enum Action {
  CREATED, UPDATED, UNCHANGED;

  /** The fact value: {@code created}, {@code updated} or {@code unchanged}. */
  public String fact() {
    return name().toLowerCase(Locale.ROOT);
  }
}
