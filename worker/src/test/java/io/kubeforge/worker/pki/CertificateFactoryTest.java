package io.kubeforge.worker.pki;

import static io.kubeforge.worker.pki.PkiTrees.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Checks each certificate of a generated tree against kubeadm.md §1.2 and §1.4. */
class CertificateFactoryTest {
  private static final String SERVER = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT = "1.3.6.1.5.5.7.3.2";

  @TempDir
  static Path tmp;

  @BeforeAll
  static void tree() {
    PkiTrees.phase().run(PkiTrees.options(tmp), false);
  }

  private static X509Certificate read(String file) {
    try {
      return Pem.parseCertificates(Files.readAllBytes(tmp.resolve(file))).get(0);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  static Stream<Arguments> kubeadmTable() {
    return Stream.of(
        Arguments.of("ca is CN=kubernetes, a CA", "ca.crt", "CN=kubernetes", "CN=kubernetes", List.of(), true),
        Arguments.of("apiserver is CN=kube-apiserver with serverAuth", "apiserver.crt", "CN=kube-apiserver",
            "CN=kubernetes", List.of(SERVER), false),
        Arguments.of("apiserver-kubelet-client is CN=kube-apiserver-kubelet-client, no O, with clientAuth",
            "apiserver-kubelet-client.crt", "CN=kube-apiserver-kubelet-client",
            "CN=kubernetes", List.of(CLIENT), false),
        Arguments.of("front-proxy-ca is CN=front-proxy-ca, a CA", "front-proxy-ca.crt", "CN=front-proxy-ca",
            "CN=front-proxy-ca", List.of(), true),
        Arguments.of("front-proxy-client has clientAuth", "front-proxy-client.crt", "CN=front-proxy-client",
            "CN=front-proxy-ca", List.of(CLIENT), false),
        Arguments.of("etcd-ca is CN=etcd-ca in etcd/ca.crt", "etcd/ca.crt", "CN=etcd-ca", "CN=etcd-ca", List.of(), true),
        Arguments.of("etcd-server is CN=<node> with serverAuth and clientAuth", "etcd/server.crt", "CN=cp-1",
            "CN=etcd-ca", List.of(SERVER, CLIENT), false),
        Arguments.of("etcd-peer is CN=<node> with serverAuth and clientAuth", "etcd/peer.crt", "CN=cp-1",
            "CN=etcd-ca", List.of(SERVER, CLIENT), false),
        Arguments.of("etcd-healthcheck-client has clientAuth", "etcd/healthcheck-client.crt",
            "CN=kube-etcd-healthcheck-client", "CN=etcd-ca", List.of(CLIENT), false),
        Arguments.of("apiserver-etcd-client has clientAuth", "apiserver-etcd-client.crt",
            "CN=kube-apiserver-etcd-client", "CN=etcd-ca", List.of(CLIENT), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kubeadmTable")
  void subjectIssuerAndUsagesMatchKubeadm(String name, String file, String subject, String issuer,
                                          List<String> eku, boolean ca) throws Exception {
    X509Certificate c = read(file);
    assertThat(c.getVersion()).isEqualTo(3);
    assertThat(c.getSubjectX500Principal().getName()).isEqualTo(subject);
    assertThat(c.getIssuerX500Principal().getName()).isEqualTo(issuer);
    assertThat(c.getExtendedKeyUsage() == null ? List.of() : c.getExtendedKeyUsage()).isEqualTo(eku);
    assertThat(c.getBasicConstraints()).isEqualTo(ca ? Integer.MAX_VALUE : -1);
    // digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, ...
    boolean[] ku = c.getKeyUsage();
    assertThat(ku[0]).isTrue();
    assertThat(ku[1]).isFalse();
    assertThat(ku[2]).isTrue();
    assertThat(ku[5]).isEqualTo(ca);
    assertThat(c.getCriticalExtensionOIDs()).containsExactlyInAnyOrder(Extension.keyUsage.getId(),
        Extension.basicConstraints.getId());
    assertThat(c.getSigAlgName()).isEqualTo("SHA256withRSA");
    assertThat(c.getNotBefore().toInstant()).isEqualTo(START.minus(Duration.ofMinutes(5)));
    assertThat(c.getNotAfter().toInstant()).isEqualTo(START.plus(Duration.ofHours(ca ? 87600 : 8760)));
    assertThat(c.getSerialNumber()).isBetween(BigInteger.ONE, BigInteger.valueOf(Long.MAX_VALUE - 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kubeadmTable")
  void keyIdentifiersFollowGo(String name, String file, String subject, String issuer, List<String> eku,
                              boolean ca) throws Exception {
    X509Certificate c = read(file);
    byte[] skid = c.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    byte[] akid = c.getExtensionValue(Extension.authorityKeyIdentifier.getId());
    if (ca) {
      SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded());
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(spki.getPublicKeyData().getBytes());
      assertThat(octets(skid)).isEqualTo(sha1);
      assertThat(akid).as("self-signed CAs get no AKID from Go").isNull();
      assertThat(c.getSubjectAlternativeNames()).containsExactly(List.of(2, subject.substring(3)));
    } else {
      assertThat(skid).as("Go gives leaves no SKID").isNull();
      X509Certificate issuerCert = read(file.startsWith("etcd/") || file.contains("etcd-client") ? "etcd/ca.crt"
          : file.startsWith("front-proxy") ? "front-proxy-ca.crt" : "ca.crt");
      byte[] issuerSkid = octets(issuerCert.getExtensionValue(Extension.subjectKeyIdentifier.getId()));
      assertThat(AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(akid).getOctets()).getKeyIdentifierOctets()).isEqualTo(issuerSkid);
    }
  }

  @Test
  void extensionsAreInGosOrder() throws Exception {
    X509CertificateHolder h = new X509CertificateHolder(read("apiserver.crt").getEncoded());
    assertThat(List.of(h.getExtensions().getExtensionOIDs())).containsExactly(Extension.keyUsage,
        Extension.extendedKeyUsage, Extension.basicConstraints, Extension.authorityKeyIdentifier,
        Extension.subjectAlternativeName);
    X509CertificateHolder ca = new X509CertificateHolder(read("ca.crt").getEncoded());
    assertThat(List.of(ca.getExtensions().getExtensionOIDs())).containsExactly(Extension.keyUsage,
        Extension.basicConstraints, Extension.subjectKeyIdentifier, Extension.subjectAlternativeName);
  }

  @Test
  void subjectHasOrganizationBeforeCommonNameAsPrintableStrings() throws Exception {
    // no certificate of the certs phase has an O since kubeadm dropped it from apiserver-kubelet-client;
    // admin.conf's client certificate (kubeadm:cluster-admins) is the one that has
    KeyPair caKey = FixtureKeys.rsa2048(1);
    Validity v = Validity.startingAt(START, Duration.ofHours(1));
    X509Certificate ca = CertificateFactory.selfSignedCa(CertCatalog.CA, caKey, v);
    X509Certificate admin = CertificateFactory.issue(CertSpec.client("admin", "ca", "kubernetes-admin",
        List.of("kubeadm:cluster-admins")), FixtureKeys.rsa2048(3).getPublic(), ca, caKey.getPrivate(), v);
    X509CertificateHolder h = new X509CertificateHolder(admin.getEncoded());
    ASN1Sequence rdns = ASN1Sequence.getInstance(h.getSubject().toASN1Primitive());
    assertThat(rdns.size()).isEqualTo(2);
    AttributeTypeAndValue first = AttributeTypeAndValue.getInstance(ASN1Set.getInstance(rdns.getObjectAt(0)).getObjectAt(0));
    AttributeTypeAndValue second = AttributeTypeAndValue.getInstance(ASN1Set.getInstance(rdns.getObjectAt(1)).getObjectAt(0));
    assertThat(first.getType()).isEqualTo(BCStyle.O);
    assertThat(first.getValue()).isInstanceOf(DERPrintableString.class);
    assertThat(second.getType()).isEqualTo(BCStyle.CN);
  }

  @Test
  void ipv4SansAreFourBytes() throws Exception {
    X509CertificateHolder h = new X509CertificateHolder(read("apiserver.crt").getEncoded());
    var names = org.bouncycastle.asn1.x509.GeneralNames.fromExtensions(h.getExtensions(), Extension.subjectAlternativeName);
    assertThat(names.getNames()).filteredOn(n -> n.getTagNo() == 7)
        .allSatisfy(n -> assertThat(ASN1OctetString.getInstance(n.getName()).getOctets()).hasSize(4));
  }

  @Test
  void serialsAreRandomAndInRange() {
    Set<BigInteger> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      BigInteger s = CertificateFactory.randomSerial();
      assertThat(s.signum()).isPositive();
      assertThat(s.bitLength()).isLessThanOrEqualTo(63);
      assertThat(s).isLessThanOrEqualTo(BigInteger.valueOf(Long.MAX_VALUE - 1));
      seen.add(s);
    }
    assertThat(seen).hasSize(1000);
  }

  static Stream<Arguments> issuerKeys() {
    return Stream.of(
        Arguments.of("an RSA issuer signs with SHA256withRSA", KeyAlgorithm.RSA_2048, "SHA256withRSA"),
        Arguments.of("a P-256 issuer signs with SHA256withECDSA", KeyAlgorithm.ECDSA_P256, "SHA256withECDSA"),
        Arguments.of("a P-384 issuer signs with SHA384withECDSA", KeyAlgorithm.ECDSA_P384, "SHA384withECDSA"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("issuerKeys")
  void signatureAlgorithmFollowsTheIssuerKey(String name, KeyAlgorithm alg, String sigAlg) throws Exception {
    KeyPair caKey = new FixtureKeys().next(alg);
    Validity v = Validity.startingAt(START, Duration.ofHours(1));
    X509Certificate ca = CertificateFactory.selfSignedCa(CertCatalog.CA, caKey, v);
    // a leaf with an RSA key still gets the issuer's signature algorithm
    X509Certificate leaf = CertificateFactory.issue(CertSpec.client("admin", "ca", "kubernetes-admin",
        List.of("kubeadm:cluster-admins")), FixtureKeys.rsa2048(3).getPublic(), ca, caKey.getPrivate(), v);
    assertThat(ca.getSigAlgName()).isEqualTo(sigAlg);
    assertThat(leaf.getSigAlgName()).isEqualTo(sigAlg);
    leaf.verify(ca.getPublicKey());
    assertThat(leaf.getSubjectAlternativeNames()).isNull();
    assertThat(leaf.getExtendedKeyUsage()).containsExactly(CLIENT);
  }

  @Test
  void issueRefusesAnIssuerThatIsNotACa() {
    Validity v = Validity.startingAt(START, Duration.ofHours(1));
    X509Certificate leaf = read("apiserver.crt");
    assertThatThrownBy(() -> CertificateFactory.issue(CertCatalog.FRONT_PROXY_CLIENT, FixtureKeys.rsa2048(1).getPublic(),
        leaf, FixtureKeys.rsa2048(1).getPrivate(), v)).hasMessageContaining("is not a CA");
  }

  @Test
  void issueRefusesACaKeyThatDoesNotMatch() {
    Validity v = Validity.startingAt(START, Duration.ofHours(1));
    assertThatThrownBy(() -> CertificateFactory.issue(CertCatalog.FRONT_PROXY_CLIENT, FixtureKeys.rsa2048(1).getPublic(),
        read("ca.crt"), FixtureKeys.rsa2048(12).getPrivate(), v)).hasMessageContaining("does not match");
  }

  @Test
  void specsRefuseAnEmptyCommonNameAndALeafWithoutUsages() {
    assertThatThrownBy(() -> CertSpec.client("x", "ca", "", List.of())).hasMessageContaining("CommonName");
    assertThatThrownBy(() -> CertSpec.leaf("x", "x", "ca", "x", List.of(), List.of()))
        .hasMessageContaining("ExtKeyUsage");
  }

  private static byte[] octets(byte[] extensionValue) {
    return ASN1OctetString.getInstance(ASN1OctetString.getInstance(extensionValue).getOctets()).getOctets();
  }
}
