package io.kubeforge.worker.certinfo;

import java.time.Duration;

/**
 * ShortHumanDuration formats a remaining lifetime as Kubernetes'
 * {@code apimachinery/pkg/util/duration.ShortHumanDuration} does, as shown in the RESIDUAL TIME
 * column of {@code kubeadm certs check-expiration}.
 */
public final class ShortHumanDuration {
  private ShortHumanDuration() {}

  /**
   * Formats {@code d}: {@code <invalid>} below −1 s, {@code 0s} for a negative second,
   * then {@code Ns}, {@code Nm}, {@code Nh}, {@code Nd} below a year, else {@code Ny}
   * (365-day years), each truncated toward zero.
   */
  public static String format(Duration d) {
    long seconds = d.getSeconds() + (d.isNegative() && d.getNano() > 0 ? 1 : 0);
    if (seconds < -1) {
      return "<invalid>";
    }
    if (seconds < 0) {
      return "0s";
    }
    if (seconds < 60) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 60) {
      return minutes + "m";
    }
    long hours = seconds / 3600;
    if (hours < 24) {
      return hours + "h";
    }
    if (hours < 24 * 365) {
      return hours / 24 + "d";
    }
    return hours / 24 / 365 + "y";
  }
}
