package io.kubeforge.worker.pki;

import io.kubeforge.worker.support.IpAddresses;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/**
 * CertChecks holds the questions kubeadm asks of an existing certificate before reusing it
 * ({@code writeCertificateFilesIfNotExist}): does its chain lead to the expected CA, and is it
 * valid for every expected SAN (Go's {@code VerifyHostname} semantics, extra SANs allowed).
 */
public final class CertChecks {
  private CertChecks() {}

  /**
   * Tells whether {@code chain} (leaf first, then intermediates as found in the .crt file) is
   * signed by {@code ca}, checking names and signatures but not validity dates.
   */
  public static boolean signedBy(List<X509Certificate> chain, X509Certificate ca) {
    X509Certificate current = chain.get(0);
    for (int i = 1; i <= chain.size(); i++) {
      if (issuedBy(current, ca)) {
        return true;
      }
      if (i == chain.size()) {
        return false;
      }
      X509Certificate next = chain.get(i);
      if (next.getBasicConstraints() < 0 || !issuedBy(current, next)) {
        return false;
      }
      current = next;
    }
    return false;
  }

  private static boolean issuedBy(X509Certificate cert, X509Certificate issuer) {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Reads the DNS names and IP addresses of a certificate's SAN extension. */
  public static AltNames altNames(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.subjectAlternativeName.getId());
    if (ext == null) {
      return AltNames.NONE;
    }
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    GeneralNames names = GeneralNames.getInstance(ASN1OctetString.getInstance(ext).getOctets());
    for (GeneralName n : names.getNames()) {
      if (n.getTagNo() == GeneralName.dNSName) {
        dns.add(DERIA5String.getInstance(n.getName()).getString());
      } else if (n.getTagNo() == GeneralName.iPAddress) {
        byte[] raw = ASN1OctetString.getInstance(n.getName()).getOctets();
        if (raw.length == 4 || raw.length == 16) {
          ips.add(IpAddresses.byAddress(raw));
        }
      }
    }
    return new AltNames(dns, ips);
  }

  /**
   * Lists the expected SANs a certificate is not valid for, as {@code DNS:x} / {@code IP:y};
   * a {@code *.} SAN in the certificate covers one label, as Go's VerifyHostname.
   */
  public static List<String> missingSans(X509Certificate cert, AltNames expected) {
    AltNames actual = altNames(cert);
    List<String> missing = new ArrayList<>();
    for (String name : expected.dnsNames()) {
      if (actual.dnsNames().stream().noneMatch(pattern -> dnsMatches(pattern, name))) {
        missing.add("DNS:" + name);
      }
    }
    for (InetAddress ip : expected.ipAddresses()) {
      if (!actual.ipAddresses().contains(ip)) {
        missing.add("IP:" + IpAddresses.format(ip));
      }
    }
    return missing;
  }

  /**
   * NameChange is how a certificate's SANs differ, name by name, from the expected set:
   * {@code added} are expected but not literally in the certificate, {@code removed} are in the
   * certificate but no longer expected (both as {@code DNS:x} / {@code IP:y}).
   */
  public record NameChange(List<String> added, List<String> removed) {
    /** Tells whether the sets are equal. */
    public boolean none() {
      return added.isEmpty() && removed.isEmpty();
    }

    /** Describes the change, e.g. {@code names changed: added DNS:a; removed IP:10.0.0.1}. */
    public String describe() {
      List<String> parts = new ArrayList<>();
      if (!added.isEmpty()) {
        parts.add("added " + String.join(", ", added));
      }
      if (!removed.isEmpty()) {
        parts.add("removed " + String.join(", ", removed));
      }
      return "names changed: " + String.join("; ", parts);
    }
  }

  /**
   * Compares a certificate's SANs with the expected set literally (DNS names case-insensitive,
   * a trailing dot ignored; a wildcard covers nothing but itself), so any change of names shows.
   */
  public static NameChange nameChange(X509Certificate cert, AltNames expected) {
    AltNames actual = altNames(cert);
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (String name : expected.dnsNames()) {
      if (actual.dnsNames().stream().noneMatch(a -> sameDns(a, name))) {
        added.add("DNS:" + name);
      }
    }
    for (InetAddress ip : expected.ipAddresses()) {
      if (!actual.ipAddresses().contains(ip)) {
        added.add("IP:" + IpAddresses.format(ip));
      }
    }
    for (String name : actual.dnsNames()) {
      if (expected.dnsNames().stream().noneMatch(e -> sameDns(e, name))) {
        removed.add("DNS:" + name);
      }
    }
    for (InetAddress ip : actual.ipAddresses()) {
      if (!expected.ipAddresses().contains(ip)) {
        removed.add("IP:" + IpAddresses.format(ip));
      }
    }
    return new NameChange(added, removed);
  }

  private static boolean sameDns(String a, String b) {
    return trimDot(a).equalsIgnoreCase(trimDot(b));
  }

  static boolean dnsMatches(String pattern, String host) {
    String p = trimDot(pattern).toLowerCase(Locale.ROOT);
    String h = trimDot(host).toLowerCase(Locale.ROOT);
    if (p.equals(h)) {
      return true;
    }
    if (h.startsWith("*") || !p.startsWith("*.")) {
      return false;
    }
    int dot = h.indexOf('.');
    return dot > 0 && h.substring(dot).equals(p.substring(1));
  }

  private static String trimDot(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
