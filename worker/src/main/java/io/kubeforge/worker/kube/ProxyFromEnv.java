package io.kubeforge.worker.kube;

import io.kubeforge.worker.support.IpAddresses;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import java.net.InetAddress;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * ProxyFromEnv picks the proxy for an {@code https://} API server the way kubectl (Go's
 * {@code http.ProxyFromEnvironment}, {@code golang.org/x/net/http/httpproxy}) does:
 * {@code HTTPS_PROXY} (else {@code https_proxy}); none for {@code localhost} and loopback
 * addresses; none when {@code NO_PROXY} (else {@code no_proxy}) is {@code *} or holds an entry
 * matching the host: an IP, a CIDR, a domain ({@code example.com} matches it and its subdomains,
 * {@code .example.com} and {@code *.example.com} only subdomains), optionally with {@code :port}.
 * A proxy URL without a scheme is taken as {@code http://}; {@code socks5://} is supported.
 */
public final class ProxyFromEnv {
  private ProxyFromEnv() {}

  /**
   * Returns the proxy URL an HTTPS request to {@code host} (a name, or an IP without brackets) on
   * {@code port} would use under {@code env}, or empty for a direct connection: what kubeadm's
   * HTTPProxy and HTTPProxyCIDR preflight checks ask of Go's {@code http.ProxyFromEnvironment}.
   */
  public static Optional<String> proxyUrlFor(String host, int port, Map<String, String> env) {
    String proxy = first(env, "HTTPS_PROXY", "https_proxy");
    if (proxy == null || proxy.isBlank()
        || !useProxy(host.toLowerCase(Locale.ROOT), port, first(env, "NO_PROXY", "no_proxy"))) {
      return Optional.empty();
    }
    return Optional.of(proxy.matches("(?i)(https?|socks5h?)://.*") ? proxy : "http://" + proxy);
  }

  static Optional<ProxyOptions> forServer(URI server, Map<String, String> env) {
    String proxy = first(env, "HTTPS_PROXY", "https_proxy");
    if (proxy == null || proxy.isBlank()) {
      return Optional.empty();
    }
    String host = server.getHost().toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = server.getPort() == -1 ? 443 : server.getPort();
    if (!useProxy(host, port, first(env, "NO_PROXY", "no_proxy"))) {
      return Optional.empty();
    }
    URI p = URI.create(proxy.contains("://") ? proxy : "http://" + proxy);
    String scheme = p.getScheme().toLowerCase(Locale.ROOT);
    ProxyOptions options = new ProxyOptions().setHost(p.getHost())
        .setType(scheme.startsWith("socks5") ? ProxyType.SOCKS5 : ProxyType.HTTP)
        .setPort(p.getPort() != -1 ? p.getPort() : scheme.startsWith("socks5") ? 1080 : scheme.equals("https") ? 443 : 80);
    if (p.getUserInfo() != null) {
      String[] up = p.getUserInfo().split(":", 2);
      options.setUsername(up[0]).setPassword(up.length > 1 ? up[1] : "");
    }
    return Optional.of(options);
  }

  /** Go's {@code httpproxy.config.useProxy}: false for loopback and NO_PROXY matches. */
  static boolean useProxy(String host, int port, String noProxy) {
    if (host.equals("localhost")) {
      return false;
    }
    InetAddress ip = literal(host);
    if (ip != null && ip.isLoopbackAddress()) {
      return false;
    }
    if (noProxy == null || noProxy.isBlank()) {
      return true;
    }
    for (String raw : noProxy.split(",")) {
      String entry = raw.strip().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      if (entry.equals("*")) {
        return false;
      }
      if (entry.contains("/")) {
        if (ip != null && IpAddresses.Cidr.parse(entry).map(c -> contains(c, ip)).orElse(false)) {
          return false;
        }
        continue;
      }
      InetAddress entryIp = literal(entry);
      if (entryIp != null) {
        if (entryIp.equals(ip)) {
          return false;
        }
        continue;
      }
      String entryHost = entry;
      int entryPort = -1;
      int colon = entry.lastIndexOf(':');
      if (colon > 0 && !entry.endsWith("]")) {
        try {
          entryPort = Integer.parseInt(entry.substring(colon + 1));
          entryHost = entry.substring(0, colon);
        } catch (NumberFormatException e) {
          continue;
        }
      }
      if (entryHost.startsWith("[") && entryHost.endsWith("]")) {
        InetAddress bracketed = literal(entryHost.substring(1, entryHost.length() - 1));
        if (bracketed != null && bracketed.equals(ip) && (entryPort == -1 || entryPort == port)) {
          return false;
        }
        continue;
      }
      if (entryPort != -1 && entryPort != port) {
        continue;
      }
      if (entryHost.startsWith("*.")) {
        entryHost = entryHost.substring(1);
      }
      boolean matchHost = !entryHost.startsWith(".");
      String suffix = matchHost ? "." + entryHost : entryHost;
      if (host.endsWith(suffix) || (matchHost && host.equals(entryHost))) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress literal(String s) {
    return IpAddresses.parse(s).orElse(null);
  }

  private static boolean contains(IpAddresses.Cidr cidr, InetAddress ip) {
    byte[] net = cidr.network().getAddress();
    byte[] addr = ip.getAddress();
    if (net.length != addr.length) {
      return false;
    }
    for (int bit = 0; bit < cidr.prefix(); bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((net[bit / 8] & mask) != (addr[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static String first(Map<String, String> env, String upper, String lower) {
    String v = env.get(upper);
    return v != null && !v.isEmpty() ? v : env.get(lower);
  }
}
