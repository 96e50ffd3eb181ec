package io.kubeforge.worker.tlsbootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsBootstrapPhaseTest {
  /** A P-256 key made with openssl; the goldens below are what the kubelet's own code makes of it (Go, v1.34.10). */
  private static final String KEY = """
      -----BEGIN EC PRIVATE KEY-----
      MHcCAQEEIG1WxGBtERfQIfA96wCZporVD/7jtO7oX6W3HuUgOQQ7oAoGCCqGSM49
      AwEHoUQDQgAEWA7CFVLLmUCV7dQfne12b4k6IZnLVyNhvCyWNRtigLzO6qtfrX+L
      WpLGnL7enX+/USKcxNT82Fyi9KW6pMZ8+Q==
      -----END EC PRIVATE KEY-----
      """;
  /** bootstrap.digestedName(key, {CN=system:node:worker-7, O=system:nodes}, [digital signature, client auth]). */
  private static final String GO_NAME = "node-csr-vERa_j7FVkdRDavCXxTlClGnlLEg0jzlfAv8_upoziI";
  /** RawTBSCertificateRequest of certutil.MakeCSR(key, that subject, nil, nil). */
  private static final String GO_REQUEST_INFO = "MIGYAgEAMDYxFTATBgNVBAoTDHN5c3RlbTpub2RlczEdMBsGA1UEAxMUc3lzdGVtOm5vZGU6"
      + "d29ya2VyLTcwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARYDsIVUsuZQJXt1B+d7XZviTohmctXI2G8LJY1G2KAvM7qq1+tf4taksacvt6df79"
      + "RIpzE1PzYXKL0pbqkxnz5oAA=";

  @TempDir
  Path tmp;

  private static KeyPair goldenKey() {
    PrivateKey k = Pem.parsePrivateKey(KEY.getBytes(StandardCharsets.US_ASCII));
    return new KeyPair(KeyPairs.publicKeyOf(k), k);
  }

  @Test
  @DisplayName("the CSR is named as the kubelet names it, so a second attempt with the same key finds the first")
  void theCsrNameIsTheKubeletsDigest() {
    assertThat(TlsBootstrapPhase.digestedName(goldenKey().getPublic(), "system:node:worker-7")).isEqualTo(GO_NAME);
  }

  @Test
  @DisplayName("the certificate request carries what the kubelet's carries, byte for byte (O then CN, printable strings, no extensions)")
  void theRequestIsTheKubeletsRequest() throws Exception {
    byte[] info = TlsBootstrapPhase.request(goldenKey(), "system:node:worker-7").toASN1Structure()
        .getCertificationRequestInfo().getEncoded();
    assertThat(Base64.getEncoder().encodeToString(info)).isEqualTo(GO_REQUEST_INFO);
  }

  private Map<String, Object> body(Object... kv) {
    Map<String, Object> b = new HashMap<>();
    b.put("bootstrap_kubeconfig", tmp.resolve("etc/bootstrap-kubelet.conf").toString());
    b.put("kubeconfig", tmp.resolve("etc/kubelet.conf").toString());
    b.put("cert_dir", tmp.resolve("pki").toString());
    b.put("node_name", "worker-7");
    for (int i = 0; i < kv.length; i += 2) {
      b.put((String) kv[i], kv[i + 1]);
    }
    return b;
  }

  @Test
  @DisplayName("bad input is a 400 naming the option, and nothing is created")
  void badInputNamesTheOption() {
    for (Object[] bad : new Object[][] {{"node_name", "Not_A_Name!"}, {"timeout", 0}, {"timeout", 111},
        {"cert_dir", "relative/pki"}, {"renew_unless_signed_by", "not a certificate"}}) {
      assertThatThrownBy(() -> new TlsBootstrapPhase().run(body(bad[0], bad[1]), false))
          .isInstanceOfSatisfying(WorkerException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.field()).isEqualTo(bad[0]);
          });
    }
    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body(), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.code()).isEqualTo("tls_bootstrap.no_bootstrap_kubeconfig");
          assertThat(e.field()).isEqualTo("bootstrap_kubeconfig");
        });
    assertThat(tmp.resolve("pki")).doesNotExist();
    assertThat(tmp.resolve("etc")).doesNotExist();
  }

  @Test
  @DisplayName("renew_unless_signed_by takes CA certificates only: a leaf is a 400 naming the option")
  void renewUnlessSignedByTakesCaCertificatesOnly() throws Exception {
    currentPair("system:node:worker-7", Instant.now().plus(300, ChronoUnit.DAYS));
    String leaf = Files.readString(tmp.resolve("pki/kubelet-client-2026-01-01-00-00-00.pem"));
    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body("renew_unless_signed_by", leaf), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.field()).isEqualTo("renew_unless_signed_by");
          assertThat(e.getMessage()).contains("CA certificates");
        });
  }

  @Test
  @DisplayName("a renewal for a node without a certificate of its own names node_name, not the bootstrap kubeconfig")
  void aRenewalOfAnotherNodesCertificateNamesTheNodeName() throws Exception {
    currentPair("system:node:worker-8", Instant.now().plus(300, ChronoUnit.DAYS));
    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body("renew_unless_signed_by", Pem.encodeCertificate(ca())),
        false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.code()).isEqualTo("tls_bootstrap.no_current_certificate");
          assertThat(e.field()).isEqualTo("node_name");
          assertThat(e.getMessage()).contains("system:node:worker-7", "hostname-override");
        });
  }

  private static X509Certificate ca() throws Exception {
    return ca(KeyPairs.generate(KeyAlgorithm.ECDSA_P256));
  }

  private static X509Certificate ca(KeyPair caKey) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
        new X500Name("CN=kf-new-ca"), BigInteger.TWO, Date.from(Instant.now()), Date.from(Instant.now().plus(1,
        ChronoUnit.DAYS)), new X500Name("CN=kf-new-ca"), caKey.getPublic())
        .addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
            new org.bouncycastle.asn1.x509.BasicConstraints(true))
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
  }

  @Test
  @DisplayName("a renewal without the node's kubelet.conf is a 400 naming kubeconfig, before any CSR")
  void aRenewalNeedsTheNodesOwnKubeconfig() throws Exception {
    currentPair("system:node:worker-7", Instant.now().plus(300, ChronoUnit.DAYS));
    Files.delete(tmp.resolve("etc/kubelet.conf"));
    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body("renew_unless_signed_by", Pem.encodeCertificate(ca())),
        false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.code()).isEqualTo("tls_bootstrap.no_kubeconfig");
          assertThat(e.field()).isEqualTo("kubeconfig");
        });
    assertThat(tmp.resolve("pki")).isDirectoryNotContaining(p -> p.getFileName().toString().endsWith(".tmp"));
  }

  private void currentPair(String cn, Instant notAfter) throws Exception {
    KeyPair key = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
        new X500Name("CN=kubernetes"), BigInteger.ONE, Date.from(notAfter.minus(400, ChronoUnit.DAYS)),
        Date.from(notAfter), new X500Name("O=system:nodes,CN=" + cn), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    Path pki = Files.createDirectories(tmp.resolve("pki"));
    Path file = pki.resolve("kubelet-client-2026-01-01-00-00-00.pem");
    Files.writeString(file, Pem.encodeCertificate(cert) + Pem.encodePrivateKey(key.getPrivate()));
    Files.createSymbolicLink(pki.resolve(TlsBootstrapPhase.CURRENT), file);
    Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(tmp.resolve("etc/kubelet.conf"), "apiVersion: v1\nclusters:\n- cluster:\n    server: https://192.0.2.10:6443\n"
        + "  name: default-cluster\ncontexts:\n- context:\n    cluster: default-cluster\n    namespace: default\n"
        + "    user: default-auth\n  name: default-context\ncurrent-context: default-context\nkind: Config\nusers:\n"
        + "- name: default-auth\n  user:\n    client-certificate: " + pki.resolve(TlsBootstrapPhase.CURRENT) + "\n"
        + "    client-key: " + pki.resolve(TlsBootstrapPhase.CURRENT) + "\n");
  }

  @Test
  @DisplayName("kubeadm init's kubelet.conf, which embeds the node's certificate, is kept when a CA of "
      + "renew_unless_signed_by signed it, and is a conflict naming ca_rotate when another did")
  void anEmbeddedCertificateIsKeptOrNamesCaRotate() throws Exception {
    KeyPair caKey = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    KeyPair key = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
        new X500Name("CN=kf-new-ca"), BigInteger.TEN, Date.from(Instant.now()), Date.from(Instant.now().plus(1,
        ChronoUnit.DAYS)), new X500Name("O=system:nodes,CN=system:node:worker-7"), key.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    Base64.Encoder b64 = Base64.getEncoder();
    Path conf = Files.createDirectories(tmp.resolve("etc")).resolve("kubelet.conf");
    Files.writeString(conf, "apiVersion: v1\nclusters:\n- cluster:\n    server: https://192.0.2.10:6443\n"
        + "  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: system:node:worker-7\n"
        + "  name: system:node:worker-7@kubernetes\ncurrent-context: system:node:worker-7@kubernetes\nkind: Config\n"
        + "users:\n- name: system:node:worker-7\n  user:\n    client-certificate-data: "
        + b64.encodeToString(Pem.encodeCertificate(leaf).getBytes(StandardCharsets.US_ASCII)) + "\n    client-key-data: "
        + b64.encodeToString(Pem.encodePrivateKey(key.getPrivate()).getBytes(StandardCharsets.US_ASCII)) + "\n");
    byte[] before = Files.readAllBytes(conf);

    PhaseResult kept = new TlsBootstrapPhase().run(body("renew_unless_signed_by", Pem.encodeCertificate(ca(caKey))),
        false);
    assertThat(kept.changed()).isFalse();
    assertThat(kept.result().get("csr")).isNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> cert = (Map<String, Object>) kept.result().get("certificate");
    assertThat(cert.get("path")).isEqualTo(conf.toString());

    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body("renew_unless_signed_by", Pem.encodeCertificate(ca())),
        false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(409);
          assertThat(e.code()).isEqualTo("tls_bootstrap.embedded_certificate");
          assertThat(e.getMessage()).contains("ca_rotate", "reissue", "Nothing was written");
        });
    assertThat(Files.readAllBytes(conf)).isEqualTo(before);
    assertThat(tmp.resolve("pki")).doesNotExist();
  }

  @Test
  @DisplayName("a valid current certificate for this node is kept: no CSR, no API server, nothing written")
  void aValidCurrentCertificateIsKept() throws Exception {
    currentPair("system:node:worker-7", Instant.now().plus(300, ChronoUnit.DAYS));
    PhaseResult r = new TlsBootstrapPhase().run(body(), false); // no bootstrap kubeconfig: it is never read
    assertThat(r.changed()).isFalse();
    assertThat(r.result().get("csr")).isNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> cert = (Map<String, Object>) r.result().get("certificate");
    assertThat(cert.get("subject")).isEqualTo("CN=system:node:worker-7,O=system:nodes");
  }

  @Test
  @DisplayName("a certificate of another node, or an expired one, is not kept: a bootstrap is needed")
  void anotherNodesOrAnExpiredCertificateIsNotKept() throws Exception {
    currentPair("system:node:worker-8", Instant.now().plus(300, ChronoUnit.DAYS));
    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body(), true))
        .isInstanceOfSatisfying(WorkerException.class,
            e -> assertThat(e.code()).isEqualTo("tls_bootstrap.no_bootstrap_kubeconfig"));
  }

  @Test
  @DisplayName("a file where the kubelet keeps its kubelet-client-current.pem link is refused, as the kubelet refuses it")
  void aFileInsteadOfTheLinkIsAConflict() throws Exception {
    Files.createDirectories(tmp.resolve("pki"));
    Files.writeString(tmp.resolve("pki").resolve(TlsBootstrapPhase.CURRENT), "not a link");
    assertThatThrownBy(() -> new TlsBootstrapPhase().run(body(), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.code()).isEqualTo("tls_bootstrap.not_a_symlink");
          assertThat(e.field()).isEqualTo("cert_dir");
        });
  }
}
