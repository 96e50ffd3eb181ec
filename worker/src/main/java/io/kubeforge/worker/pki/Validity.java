package io.kubeforge.worker.pki;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Validity is a certificate's validity window.
 *
 * @param notBefore first instant the certificate is valid, whole seconds
 * @param notAfter last instant the certificate is valid, whole seconds
 */
public record Validity(Instant notBefore, Instant notAfter) {
  /** kubeadm's {@code CertificateBackdate}: NotBefore lies this far before the start time. */
  public static final Duration BACKDATE = Duration.ofMinutes(5);

  /** Checks the order and truncates to whole seconds (X.509 times have no fractions). */
  public Validity {
    notBefore = notBefore.truncatedTo(ChronoUnit.SECONDS);
    notAfter = notAfter.truncatedTo(ChronoUnit.SECONDS);
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter must be after notBefore");
    }
  }

  /**
   * Computes the window kubeadm 1.31+ uses from one start time per run: NotBefore = start − 5
   * min, NotAfter = start + period (not NotBefore + period).
   */
  public static Validity startingAt(Instant start, Duration period) {
    Instant s = start.truncatedTo(ChronoUnit.SECONDS);
    return new Validity(s.minus(BACKDATE), s.plus(period));
  }
}
