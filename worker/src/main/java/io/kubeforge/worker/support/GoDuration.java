package io.kubeforge.worker.support;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GoDuration parses and formats durations the way Go's {@code time.ParseDuration} and
 * {@code Duration.String} do, since kubeadm's configuration (and so its users) write
 * {@code 8760h}, {@code 1h30m} or {@code 90s}.
 */
public final class GoDuration {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
  private static final Map<String, Long> NANOS = Map.of(
      "ns", 1L, "us", 1_000L, "µs", 1_000L, "μs", 1_000L, "ms", 1_000_000L,
      "s", 1_000_000_000L, "m", 60_000_000_000L, "h", 3_600_000_000_000L);

  private GoDuration() {}

  /**
   * Parses a Go duration string such as {@code 8760h} or {@code 1h30m}; rejects signs other than
   * a leading {@code +}/{@code -}, missing units and empty input with an IllegalArgumentException
   * whose message says why.
   */
  public static Duration parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    String s = text;
    boolean negative = false;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(s);
    int pos = 0;
    BigDecimal total = BigDecimal.ZERO;
    while (pos < s.length()) {
      if (!m.find(pos) || m.start() != pos) {
        throw new IllegalArgumentException("invalid duration \"" + text + "\" (expected e.g. 8760h, 1h30m, 90s)");
      }
      total = total.add(new BigDecimal(m.group(1).startsWith(".") ? "0" + m.group(1) : m.group(1))
          .multiply(BigDecimal.valueOf(NANOS.get(m.group(2)))));
      pos = m.end();
    }
    if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("duration \"" + text + "\" is too long");
    }
    Duration d = Duration.ofNanos(total.longValue());
    return negative ? d.negated() : d;
  }

  /** Formats like Go's Duration.String for whole seconds: {@code 8760h0m0s}, {@code 1m30s}, {@code 0s}. */
  public static String format(Duration d) {
    long secs = d.getSeconds();
    if (secs == 0) {
      return "0s";
    }
    String sign = secs < 0 ? "-" : "";
    secs = Math.abs(secs);
    long h = secs / 3600;
    long m = (secs % 3600) / 60;
    long s = secs % 60;
    if (h > 0) {
      return sign + h + "h" + m + "m" + s + "s";
    }
    if (m > 0) {
      return sign + m + "m" + s + "s";
    }
    return sign + s + "s";
  }
}
