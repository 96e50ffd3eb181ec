package io.kubeforge.worker.preflight;

import java.util.Optional;

/**
 * Check is one kubeadm preflight check as data: kubeadm's name for it, its severity, whether
 * {@code ignore} may turn it into a warning, and the one function that looks at the host and
 * returns kubeadm's message when the check fails (empty when it passes). Adding a kubeadm check
 * is adding one {@code Check} to {@link PreflightChecks}.
 *
 * @param name kubeadm's name ({@code Port-6443}, {@code FileAvailable--etc-kubernetes-manifests-etcd.yaml})
 * @param severity what a failure is when not ignored
 * @param ignorable false for the two join-control-plane conditions kubeadm never lets one ignore
 * @param probe the function that reads the host
 */
public record Check(String name, Severity severity, boolean ignorable, Probe probe) {
  /** kubeadm's two outcomes of a failing check: {@code [ERROR ...]} or {@code [WARNING ...]}. */
  public enum Severity {
    ERROR, WARNING;

    /** The wire name, {@code error} or {@code warning}. */
    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Reads the host (never changes it) and returns the failure message, or empty when the check passes. */
  @FunctionalInterface
  public interface Probe {
    Optional<String> failure(Host host);
  }

  /** A check whose failure is an error unless ignored. */
  static Check error(String name, Probe probe) {
    return new Check(name, Severity.ERROR, true, probe);
  }

  /** A check whose failure is a warning. */
  static Check warning(String name, Probe probe) {
    return new Check(name, Severity.WARNING, true, probe);
  }

  /** An error {@code --ignore-preflight-errors} cannot silence (kubeadm returns it outside its check list). */
  static Check fatal(String name, Probe probe) {
    return new Check(name, Severity.ERROR, false, probe);
  }
}
