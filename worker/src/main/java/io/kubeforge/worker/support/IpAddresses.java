package io.kubeforge.worker.support;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import org.bouncycastle.util.IPAddress;

/**
 * IpAddresses parses and prints IP literals the way Go's {@code net} package does, without
 * ever resolving a host name: {@code InetAddress.getByName} would send a DNS query for anything
 * that does not look like a literal, so input is checked before it is handed over.
 */
public final class IpAddresses {
  private IpAddresses() {}

  /**
   * Parses an IPv4 dotted quad (no leading zeros, as Go 1.17+) or an IPv6 literal (no zone, no
   * brackets); returns empty for anything else. IPv4-mapped IPv6 comes back as IPv4, as Go's
   * {@code To4()} would.
   */
  public static Optional<InetAddress> parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 45) {
      return Optional.empty();
    }
    if (text.indexOf(':') >= 0) {
      if (text.indexOf('%') >= 0 || !IPAddress.isValidIPv6(text)) {
        return Optional.empty();
      }
      return Optional.of(literal(text));
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')
          || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return Optional.empty();
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        return Optional.empty();
      }
      bytes[i] = (byte) v;
    }
    return Optional.of(byAddress(bytes));
  }

  private static InetAddress literal(String validatedIpv6) {
    try {
      // safe: the text was checked to be an IPv6 literal, so no name lookup happens
      return InetAddress.getByName(validatedIpv6);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IPv6 literal", e);
    }
  }

  /** Builds an address from 4 or 16 raw bytes; 16 bytes of an IPv4-mapped address give IPv4. */
  public static InetAddress byAddress(byte[] raw) {
    try {
      return InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("IP address must be 4 or 16 bytes, got " + raw.length, e);
    }
  }

  /**
   * Formats like Go's {@code net.IP.String}: dotted quad for IPv4, RFC 5952 for IPv6 (lower
   * case, longest run of two or more zero groups shortened to {@code ::}).
   */
  public static String format(InetAddress address) {
    if (address instanceof Inet4Address) {
      return address.getHostAddress();
    }
    byte[] b = address.getAddress();
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) {
      bestStart = -1;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }

  /** Returns the address {@code index} places after the network address of a CIDR, as kubeadm's GetIndexedIP. */
  public static InetAddress indexed(Cidr cidr, long index) {
    byte[] base = cidr.network().getAddress();
    BigInteger value = new BigInteger(1, base).add(BigInteger.valueOf(index));
    byte[] raw = value.toByteArray();
    byte[] out = new byte[base.length];
    int copy = Math.min(raw.length, out.length);
    System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
    return byAddress(out);
  }

  /**
   * Cidr is a parsed {@code address/prefix}; {@code network} has the host bits cleared, as Go's
   * {@code net.ParseCIDR} returns it.
   *
   * @param network the network address
   * @param prefix the prefix length
   */
  public record Cidr(InetAddress network, int prefix) {
    /** Parses {@code 10.96.0.0/12} or {@code fd00::/108}; returns empty when malformed. */
    public static Optional<Cidr> parse(String text) {
      int slash = text == null ? -1 : text.indexOf('/');
      if (slash <= 0 || slash == text.length() - 1) {
        return Optional.empty();
      }
      Optional<InetAddress> ip = IpAddresses.parse(text.substring(0, slash));
      String bits = text.substring(slash + 1);
      if (ip.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(c -> c >= '0' && c <= '9')
          || (bits.length() > 1 && bits.charAt(0) == '0')) {
        return Optional.empty();
      }
      // an IPv4-mapped literal written as IPv6 keeps IPv6 prefix semantics in Go; we keep it simple
      if (ip.get() instanceof Inet4Address && text.substring(0, slash).indexOf(':') >= 0) {
        return Optional.empty();
      }
      int prefix = Integer.parseInt(bits);
      byte[] raw = ip.get().getAddress();
      if (prefix > raw.length * 8) {
        return Optional.empty();
      }
      for (int i = 0; i < raw.length; i++) {
        int keep = Math.max(0, Math.min(8, prefix - 8 * i));
        raw[i] &= (byte) (0xff << (8 - keep));
      }
      return Optional.of(new Cidr(byAddress(raw), prefix));
    }

    /** Tells whether this is an IPv6 network. */
    public boolean isIpv6() {
      return network instanceof Inet6Address;
    }

    @Override
    public String toString() {
      return format(network) + "/" + prefix;
    }
  }
}
