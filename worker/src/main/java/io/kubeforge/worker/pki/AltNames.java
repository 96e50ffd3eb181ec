package io.kubeforge.worker.pki;

import io.kubeforge.worker.support.DnsNames;
import io.kubeforge.worker.support.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * AltNames is a certificate's subject alternative names after kubeadm's
 * {@code RemoveDuplicateAltNames}: DNS names as a sorted set, IP addresses de-duplicated in
 * first-seen order. The static builders compute the SANs kubeadm gives the API server and the
 * etcd server/peer certificates.
 *
 * @param dnsNames DNS names (and {@code *.} wildcards), sorted, unique
 * @param ipAddresses IP addresses, unique, in the order first seen
 */
public record AltNames(List<String> dnsNames, List<InetAddress> ipAddresses) {
  /** No SANs at all (client certificates). */
  public static final AltNames NONE = new AltNames(List.of(), List.of());

  /** Normalises: sorts and de-duplicates DNS names, de-duplicates IPs keeping order. */
  public AltNames {
    dnsNames = List.copyOf(new TreeSet<>(dnsNames));
    ipAddresses = List.copyOf(new LinkedHashSet<>(ipAddresses));
  }

  /** Returns these names plus {@code other}'s, normalised again. */
  public AltNames plus(AltNames other) {
    List<String> dns = new ArrayList<>(dnsNames);
    dns.addAll(other.dnsNames);
    List<InetAddress> ips = new ArrayList<>(ipAddresses);
    ips.addAll(other.ipAddresses);
    return new AltNames(dns, ips);
  }

  /** Tells whether there are no names. */
  public boolean isEmpty() {
    return dnsNames.isEmpty() && ipAddresses.isEmpty();
  }

  /** Returns the IPs as Go prints them ({@code 10.96.0.1}, {@code fd00::1}). */
  public List<String> ipStrings() {
    return ipAddresses.stream().map(IpAddresses::format).toList();
  }

  /** Renders like OpenSSL: {@code DNS:a, DNS:b, IP:10.0.0.1}. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    dnsNames.forEach(d -> parts.add("DNS:" + d));
    ipStrings().forEach(i -> parts.add("IP:" + i));
    return String.join(", ", parts);
  }

  /**
   * Computes the API server's SANs as kubeadm's {@code GetAPIServerAltNames}: node name and the
   * {@code kubernetes.default.svc} names; the first usable IP of the first service CIDR, the
   * advertise address, the control plane endpoint host; then the extra SANs.
   */
  public static AltNames apiServer(PkiOptions o) {
    List<String> dns = new ArrayList<>(List.of(o.nodeName(), "kubernetes", "kubernetes.default",
        "kubernetes.default.svc", "kubernetes.default.svc." + o.dnsDomain()));
    List<InetAddress> ips = new ArrayList<>();
    ips.add(IpAddresses.indexed(o.serviceSubnets().get(0), 1));
    ips.add(o.advertiseAddress());
    o.controlPlaneEndpoint().ifPresent(endpoint -> {
      Optional<InetAddress> ip = IpAddresses.parse(endpoint.host());
      if (ip.isPresent()) {
        ips.add(ip.get());
      } else {
        dns.add(endpoint.host());
      }
    });
    return new AltNames(dns, ips).plus(o.apiServerCertSans());
  }

  /** Computes the etcd server certificate's SANs: node, localhost, advertise address, loopbacks, extras. */
  public static AltNames etcdServer(PkiOptions o) {
    return etcdBase(o).plus(o.etcdServerCertSans());
  }

  /** Computes the etcd peer certificate's SANs: node, localhost, advertise address, loopbacks, extras. */
  public static AltNames etcdPeer(PkiOptions o) {
    return etcdBase(o).plus(o.etcdPeerCertSans());
  }

  private static AltNames etcdBase(PkiOptions o) {
    return new AltNames(List.of(o.nodeName(), "localhost"), List.of(o.advertiseAddress(),
        IpAddresses.parse("127.0.0.1").orElseThrow(), IpAddresses.parse("::1").orElseThrow()));
  }

  /**
   * Classifies user-supplied SANs as kubeadm does: an IP, else an RFC 1123 subdomain or a
   * {@code *.} wildcard. The caller has checked them with {@link #firstInvalid}.
   */
  public static AltNames parseExtra(List<String> entries) {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    for (String entry : entries) {
      Optional<InetAddress> ip = IpAddresses.parse(entry);
      if (ip.isPresent()) {
        ips.add(ip.get());
      } else if (valid(entry)) {
        dns.add(entry);
      } else {
        throw new IllegalArgumentException("unchecked SAN " + entry);
      }
    }
    return new AltNames(dns, ips);
  }

  /**
   * Returns the index of the first entry that is neither an IP address, nor an RFC 1123 name,
   * nor a wildcard (kubeadm 1.34 refuses such a config; older releases skipped the entry), or −1.
   */
  public static int firstInvalid(List<String> entries) {
    for (int i = 0; i < entries.size(); i++) {
      String e = entries.get(i);
      if (e == null || (IpAddresses.parse(e).isEmpty() && !valid(e))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean valid(String name) {
    return DnsNames.isSubdomain(name) || DnsNames.isWildcard(name);
  }
}
