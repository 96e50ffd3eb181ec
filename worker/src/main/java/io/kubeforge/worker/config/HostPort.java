package io.kubeforge.worker.config;

import io.kubeforge.worker.support.DnsNames;
import io.kubeforge.worker.support.IpAddresses;
import io.kubeforge.worker.support.WorkerException;

/**
 * HostPort is a parsed {@code host}, {@code host:port} or {@code [v6]:port}; the host is an IP
 * literal or an RFC 1123 DNS name, as kubeadm's {@code ParseHostPort} accepts.
 *
 * @param host the host, IPv6 without brackets, IPs normalised
 * @param port the port, or null when none was given
 */
public record HostPort(String host, Integer port) {
  /** Parses and validates; errors name {@code field}. */
  public static HostPort parse(String text, String field) {
    String host = text;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw bad(field, text);
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw bad(field, text);
        }
        port = rest.substring(1);
      }
      if (IpAddresses.parse(host).isEmpty() || host.indexOf(':') < 0) {
        throw bad(field, text);
      }
    } else if (text.indexOf(':') != text.lastIndexOf(':')) {
      // a bare IPv6 literal without a port
      if (IpAddresses.parse(text).isEmpty()) {
        throw bad(field, text);
      }
    } else if (text.indexOf(':') >= 0) {
      host = text.substring(0, text.indexOf(':'));
      port = text.substring(text.indexOf(':') + 1);
    }
    Integer p = null;
    if (port != null) {
      if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
        throw WorkerException.badInput(ConfigCodes.INVALID_ADDRESS, field,
            "'" + text + "' has an invalid port (1-65535)");
      }
      p = Integer.parseInt(port);
    }
    var ip = IpAddresses.parse(host);
    if (ip.isPresent()) {
      return new HostPort(IpAddresses.format(ip.get()), p);
    }
    if (!DnsNames.isSubdomain(host)) {
      throw bad(field, text);
    }
    return new HostPort(host, p);
  }

  private static WorkerException bad(String field, String text) {
    return WorkerException.badInput(ConfigCodes.INVALID_ADDRESS, field,
        "'" + text + "' is not a valid host, host:port or [IPv6]:port");
  }
}
