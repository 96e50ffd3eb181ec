package io.kubeforge.worker.preflight;

import io.kubeforge.worker.support.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * ProxyEnv answers "would Go's {@code http.ProxyFromEnvironment} send an HTTPS request for this
 * host through a proxy, and which one?", as kubeadm's HTTPProxy and HTTPProxyCIDR checks ask it
 * (golang.org/x/net/http/httpproxy): {@code HTTPS_PROXY} (or {@code https_proxy}) names the proxy,
 * {@code NO_PROXY} (or {@code no_proxy}) lists exceptions ({@code *}, IPs, CIDRs, domains with an
 * optional leading {@code .} or {@code *.}, each with an optional port), and {@code localhost}
 * and loopback addresses never go through a proxy.
 */
final class ProxyEnv {
  private final String httpsProxy;
  private final List<String> noProxy = new ArrayList<>();

  ProxyEnv(Map<String, String> env) {
    this.httpsProxy = any(env, "HTTPS_PROXY", "https_proxy");
    String no = any(env, "NO_PROXY", "no_proxy");
    if (no != null) {
      for (String p : no.split(",")) {
        String t = p.trim().toLowerCase(Locale.ROOT);
        if (!t.isEmpty()) {
          noProxy.add(t);
        }
      }
    }
  }

  private static String any(Map<String, String> env, String upper, String lower) {
    String v = env.get(upper);
    if (v == null || v.isEmpty()) {
      v = env.get(lower);
    }
    return v == null || v.isEmpty() ? null : v;
  }

  /**
   * Returns the proxy URL an HTTPS request to {@code host} on {@code port} would use, or empty
   * for a direct connection. {@code host} is a name or an IP without brackets.
   */
  Optional<String> proxyFor(String host, int port) {
    if (httpsProxy == null || !useProxy(host.toLowerCase(Locale.ROOT), String.valueOf(port))) {
      return Optional.empty();
    }
    String p = httpsProxy;
    if (!p.matches("(?i)(https?|socks5h?)://.*")) {
      p = "http://" + p;
    }
    return Optional.of(p);
  }

  private boolean useProxy(String host, String port) {
    if (host.equals("localhost")) {
      return false;
    }
    Optional<InetAddress> ip = IpAddresses.parse(host);
    if (ip.isPresent() && ip.get().isLoopbackAddress()) {
      return false;
    }
    for (String entry : noProxy) {
      if (entry.equals("*")) {
        return false;
      }
      Optional<IpAddresses.Cidr> cidr = entry.indexOf('/') >= 0 ? IpAddresses.Cidr.parse(entry) : Optional.empty();
      if (cidr.isPresent()) {
        if (ip.isPresent() && contains(cidr.get(), ip.get())) {
          return false;
        }
        continue;
      }
      String[] hp = splitHostPort(entry);
      String phost = hp[0];
      String pport = hp[1];
      Optional<InetAddress> pip = IpAddresses.parse(phost);
      if (pip.isPresent()) {
        if (ip.isPresent() && pip.get().equals(ip.get()) && (pport.isEmpty() || pport.equals(port))) {
          return false;
        }
        continue;
      }
      if (phost.isEmpty()) {
        continue;
      }
      if (phost.startsWith("*.")) {
        phost = phost.substring(1);
      }
      boolean matchHost = false;
      if (phost.charAt(0) != '.') {
        matchHost = true;
        phost = "." + phost;
      }
      if ((host.endsWith(phost) || (matchHost && host.equals(phost.substring(1))))
          && (pport.isEmpty() || pport.equals(port))) {
        return false;
      }
    }
    return true;
  }

  private static boolean contains(IpAddresses.Cidr cidr, InetAddress ip) {
    byte[] net = cidr.network().getAddress();
    byte[] a = ip.getAddress();
    if (net.length != a.length) {
      return false;
    }
    for (int bit = 0; bit < cidr.prefix(); bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((net[bit / 8] & mask) != (a[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** Splits {@code host:port} / {@code [v6]:port}; a value without a port comes back with an empty port. */
  private static String[] splitHostPort(String entry) {
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      if (close > 0 && entry.startsWith(":", close + 1)) {
        return new String[] {entry.substring(1, close), entry.substring(close + 2)};
      }
      return new String[] {entry, ""};
    }
    int colon = entry.indexOf(':');
    if (colon >= 0 && colon == entry.lastIndexOf(':')) {
      return new String[] {entry.substring(0, colon), entry.substring(colon + 1)};
    }
    return new String[] {entry, ""};
  }
}
