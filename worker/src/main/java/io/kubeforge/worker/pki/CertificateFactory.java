package io.kubeforge.worker.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * CertificateFactory signs certificates with the template kubeadm uses
 * ({@code pkiutil.NewSelfSignedCACert} / {@code NewSignedCert}) and the extensions Go's
 * {@code x509.CreateCertificate} then adds, in Go's order: KeyUsage (critical), ExtKeyUsage,
 * BasicConstraints (critical), SubjectKeyId (CAs only: SHA-1 of the public key bit string, as
 * Go before 1.25), AuthorityKeyId (the issuer's SKID, when the issuer has one), SAN. Subjects
 * hold only O and CN, encoded as Go does (PrintableString when possible, else UTF8String).
 * Serial numbers are uniform in [1, 2^63−2]. The signature algorithm follows the issuer key.
 */
public final class CertificateFactory {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final BigInteger SERIAL_BOUND = BigInteger.valueOf(Long.MAX_VALUE - 1);

  private CertificateFactory() {}

  /**
   * Creates a self-signed CA certificate for {@code spec} (which must be a CA spec): KeyUsage
   * digitalSignature, keyEncipherment and keyCertSign; CA:TRUE without a path length; DNS SAN =
   * CN; SKID; no AKID.
   */
  public static X509Certificate selfSignedCa(CertSpec spec, KeyPair keyPair, Validity validity) {
    if (!spec.isCa()) {
      throw new IllegalArgumentException(spec.name() + " is not a CA spec");
    }
    X500Name subject = subject(spec);
    return build(spec, subject, subject, keyPair.getPublic(), keyPair.getPrivate(), null, validity);
  }

  /**
   * Issues a leaf certificate for {@code spec} with {@code subjectKey}, signed by
   * {@code caKey}, with the subject, usages and SANs of the spec and kubeadm's leaf template:
   * KeyUsage digitalSignature and keyEncipherment, CA:FALSE, AKID from the CA's SKID, no SKID.
   * This is the one entry point for any client or serving certificate signed by a kubeadm CA,
   * e.g. kubeconfig client certificates: build the spec with
   * {@link CertSpec#client(String, String, String, List)} and pass
   * {@link Validity#startingAt} with {@code certificate_validity}.
   *
   * @throws IllegalArgumentException if {@code caCert} is not a CA or does not match {@code caKey}
   */
  public static X509Certificate issue(CertSpec spec, PublicKey subjectKey, X509Certificate caCert,
                                      PrivateKey caKey, Validity validity) {
    if (spec.isCa()) {
      throw new IllegalArgumentException(spec.name() + " is a CA spec; use selfSignedCa");
    }
    if (caCert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException("issuer " + caCert.getSubjectX500Principal().getName() + " is not a CA");
    }
    if (!KeyPairs.matches(caKey, caCert.getPublicKey())) {
      throw new IllegalArgumentException("issuer key does not match the issuer certificate");
    }
    X500Name issuer = X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded());
    return build(spec, subject(spec), issuer, subjectKey, caKey, caCert, validity);
  }

  /**
   * Re-signs an existing leaf with another CA, as a CA rotation needs: the subject (byte for
   * byte), the public key and the KeyUsage, ExtKeyUsage, BasicConstraints and SAN extensions
   * (with their criticality) are copied from {@code old}, in Go's order; the issuer, the
   * AuthorityKeyId (the new CA's SKID), the serial and the validity are new.
   *
   * @throws IllegalArgumentException if {@code old} is a CA, or {@code caCert} is not a CA or does
   *     not match {@code caKey}
   */
  public static X509Certificate reissue(X509Certificate old, X509Certificate caCert, PrivateKey caKey,
                                        Validity validity) {
    if (old.getBasicConstraints() >= 0) {
      throw new IllegalArgumentException(old.getSubjectX500Principal().getName() + " is a CA; only leaves are re-signed");
    }
    if (caCert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException("issuer " + caCert.getSubjectX500Principal().getName() + " is not a CA");
    }
    if (!KeyPairs.matches(caKey, caCert.getPublicKey())) {
      throw new IllegalArgumentException("issuer key does not match the issuer certificate");
    }
    try {
      org.bouncycastle.cert.X509CertificateHolder holder = new org.bouncycastle.cert.X509CertificateHolder(old.getEncoded());
      X500Name issuer = X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, randomSerial(),
          Date.from(validity.notBefore()), Date.from(validity.notAfter()), holder.getSubject(),
          holder.getSubjectPublicKeyInfo());
      for (org.bouncycastle.asn1.ASN1ObjectIdentifier oid : List.of(Extension.keyUsage, Extension.extendedKeyUsage,
          Extension.basicConstraints)) {
        Extension e = holder.getExtension(oid);
        if (e != null) {
          b.addExtension(e);
        }
      }
      byte[] caSkid = caCert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
      if (caSkid != null) {
        byte[] keyId = ASN1OctetString.getInstance(ASN1OctetString.getInstance(caSkid).getOctets()).getOctets();
        if (keyId.length > 0) {
          b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(keyId));
        }
      }
      Extension san = holder.getExtension(Extension.subjectAlternativeName);
      if (san != null) {
        b.addExtension(san);
      }
      String sigAlg = KeyAlgorithm.signatureAlgorithmFor(caCert.getPublicKey());
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(sigAlg).build(caKey)));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("couldn't re-sign " + old.getSubjectX500Principal().getName(), e);
    }
  }

  /**
   * Creates a certificate signing request (DER) for {@code spec} as kubeadm's
   * {@code pkiutil.NewCSR}: the subject (O, CN) and, when there are any, the SANs in an
   * extensionRequest attribute; no usages (Go's template has none), signed by {@code keyPair}.
   */
  public static byte[] csr(CertSpec spec, KeyPair keyPair) {
    try {
      org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder b =
          new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(subject(spec), keyPair.getPublic());
      if (!spec.altNames().isEmpty()) {
        org.bouncycastle.asn1.x509.ExtensionsGenerator ext = new org.bouncycastle.asn1.x509.ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, generalNames(spec.altNames()));
        b.addAttribute(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      String sigAlg = KeyAlgorithm.signatureAlgorithmFor(keyPair.getPublic());
      return b.build(new JcaContentSignerBuilder(sigAlg).build(keyPair.getPrivate())).getEncoded();
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("couldn't make the " + spec.name() + " certificate request", e);
    }
  }

  /** Returns a uniform random serial in [1, 2^63−2], as kubeadm's {@code NewSignedCert}. */
  public static BigInteger randomSerial() {
    BigInteger n;
    do {
      n = new BigInteger(63, RANDOM);
    } while (n.compareTo(SERIAL_BOUND) >= 0);
    return n.add(BigInteger.ONE);
  }

  /** Builds the subject in Go's RDN order: one RDN per O value, then CN. */
  public static X500Name subject(CertSpec spec) {
    List<RDN> rdns = new ArrayList<>();
    for (String o : spec.organizations()) {
      rdns.add(new RDN(new AttributeTypeAndValue(BCStyle.O, goString(o))));
    }
    rdns.add(new RDN(new AttributeTypeAndValue(BCStyle.CN, goString(spec.commonName()))));
    return new X500Name(rdns.toArray(RDN[]::new));
  }

  private static X509Certificate build(CertSpec spec, X500Name subject, X500Name issuer,
                                       PublicKey subjectKey, PrivateKey signerKey,
                                       X509Certificate caCert, Validity validity) {
    try {
      SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(subjectKey.getEncoded());
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, randomSerial(),
          Date.from(validity.notBefore()), Date.from(validity.notAfter()), subject, spki);
      int usage = KeyUsage.digitalSignature | KeyUsage.keyEncipherment;
      if (spec.isCa()) {
        usage |= KeyUsage.keyCertSign;
      }
      b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
      if (!spec.usages().isEmpty()) {
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
            spec.usages().stream().map(CertSpec.Usage::oid).toArray(KeyPurposeId[]::new)));
      }
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(spec.isCa()));
      if (spec.isCa()) {
        SubjectKeyIdentifier skid = new JcaX509ExtensionUtils().createSubjectKeyIdentifier(spki);
        b.addExtension(Extension.subjectKeyIdentifier, false, skid);
      }
      if (caCert != null) {
        byte[] caSkid = caCert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (caSkid != null) {
          byte[] keyId = ASN1OctetString.getInstance(
              ASN1OctetString.getInstance(caSkid).getOctets()).getOctets();
          if (keyId.length > 0) {
            b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(keyId));
          }
        }
      }
      if (!spec.altNames().isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, generalNames(spec.altNames()));
      }
      String sigAlg = KeyAlgorithm.signatureAlgorithmFor(caCert == null ? subjectKey : caCert.getPublicKey());
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder(sigAlg).build(signerKey)));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("couldn't sign the " + spec.name() + " certificate", e);
    }
  }

  private static GeneralNames generalNames(AltNames names) {
    List<GeneralName> out = new ArrayList<>();
    for (String dns : names.dnsNames()) {
      out.add(new GeneralName(GeneralName.dNSName, new DERIA5String(dns)));
    }
    for (InetAddress ip : names.ipAddresses()) {
      // IPv4 as 4 bytes, as Go does when To4() succeeds
      out.add(new GeneralName(GeneralName.iPAddress, new DEROctetString(ip.getAddress())));
    }
    return new GeneralNames(out.toArray(GeneralName[]::new));
  }

  /** Encodes a string as Go's asn1 does for untagged strings. */
  private static ASN1Encodable goString(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (!goPrintable(s.charAt(i))) {
        return new DERUTF8String(s);
      }
    }
    return new DERPrintableString(s);
  }

  private static boolean goPrintable(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || (c >= '\'' && c <= ')') || (c >= '+' && c <= '/') || c == ' ' || c == ':' || c == '='
        || c == '?';
  }
}
