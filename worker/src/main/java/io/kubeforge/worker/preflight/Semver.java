package io.kubeforge.worker.preflight;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Semver is a semantic version as apimachinery's {@code version.ParseSemantic} reads it (an
 * optional leading {@code v}, a pre-release after {@code -}, build metadata ignored), ordered as
 * semver orders it: a pre-release sorts before its release, numeric identifiers before others.
 *
 * @param major major
 * @param minor minor
 * @param patch patch
 * @param pre the pre-release, empty when none
 */
record Semver(long major, long minor, long patch, String pre) implements Comparable<Semver> {
  private static final Pattern SEMVER = Pattern.compile(
      "v?(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(?:-([0-9A-Za-z.-]{1,64}))?(?:\\+[0-9A-Za-z.-]{0,64})?");

  static Optional<Semver> parse(String text) {
    Matcher m = SEMVER.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new Semver(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
        Long.parseLong(m.group(3)), m.group(4) == null ? "" : m.group(4)));
  }

  boolean lessThan(Semver o) {
    return compareTo(o) < 0;
  }

  @Override
  public int compareTo(Semver o) {
    int c = Long.compare(major, o.major);
    c = c != 0 ? c : Long.compare(minor, o.minor);
    c = c != 0 ? c : Long.compare(patch, o.patch);
    if (c != 0 || pre.equals(o.pre)) {
      return c;
    }
    if (pre.isEmpty() || o.pre.isEmpty()) {
      return pre.isEmpty() ? 1 : -1;
    }
    String[] a = pre.split("\\.");
    String[] b = o.pre.split("\\.");
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      boolean an = a[i].matches("\\d+");
      boolean bn = b[i].matches("\\d+");
      int d = an && bn ? new java.math.BigInteger(a[i]).compareTo(new java.math.BigInteger(b[i]))
          : an ? -1 : bn ? 1 : a[i].compareTo(b[i]);
      if (d != 0) {
        return d;
      }
    }
    return Integer.compare(a.length, b.length);
  }

  /** Formats as apimachinery's {@code Version.String} (no {@code v}). */
  @Override
  public String toString() {
    return major + "." + minor + "." + patch + (pre.isEmpty() ? "" : "-" + pre);
  }
}
