package io.kubeforge.worker.certinfo;

import java.time.Duration;

/**
 * HumanDuration formats a remaining lifetime as the RESIDUAL TIME column of
 * {@code kubeadm certs check-expiration} does: {@code cmd/kubeadm/app/cmd/certs.go} prints
 * {@code duration.HumanDuration(time.Duration(residualSeconds) * time.Second)} from
 * {@code k8s.io/apimachinery/pkg/util/duration}, so the input is whole seconds, truncated toward zero.
 */
public final class HumanDuration {
  private HumanDuration() {}

  /**
   * Formats {@code d} after truncating it to whole seconds, as Go's {@code HumanDuration}:
   * {@code <invalid>} below −1 s, {@code 0s} for −1 s, {@code Ns} below 2 min, {@code NmSs}
   * below 10 min, {@code Nm} below 3 h, {@code NhMm} below 8 h, {@code Nh} below 48 h,
   * {@code NdHh} below 8 days, {@code Nd} below 2 years, {@code NyDd} below 8 years, else
   * {@code Ny} (365-day years); a zero second part is left out.
   */
  public static String format(Duration d) {
    long seconds = d.getSeconds() + (d.isNegative() && d.getNano() > 0 ? 1 : 0);
    if (seconds < -1) {
      return "<invalid>";
    }
    if (seconds < 0) {
      return "0s";
    }
    if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    }
    if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = seconds / 3600;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    }
    if (hours < 48) {
      return hours + "h";
    }
    if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    }
    if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    }
    if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
    }
    return hours / 24 / 365 + "y";
  }
}
