package io.kubeforge.worker.support;

import java.util.regex.Pattern;

/**
 * DnsNames checks names the way Kubernetes' {@code validation.IsDNS1123Subdomain} and
 * {@code IsWildcardDNS1123Subdomain} do: lower-case labels of letters, digits and inner
 * hyphens, at most 253 characters, each label at most 63.
 */
public final class DnsNames {
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  /** The longest subdomain RFC 1123 allows. */
  public static final int MAX_LENGTH = 253;

  private DnsNames() {}

  /** Tells whether {@code name} is an RFC 1123 subdomain such as {@code kubernetes.default.svc}. */
  public static boolean isSubdomain(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  /** Tells whether {@code name} is {@code *.} followed by an RFC 1123 subdomain. */
  public static boolean isWildcard(String name) {
    return name != null && name.startsWith("*.") && name.length() <= MAX_LENGTH
        && isSubdomain(name.substring(2));
  }
}
