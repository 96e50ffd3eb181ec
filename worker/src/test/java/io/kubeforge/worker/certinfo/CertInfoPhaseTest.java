package io.kubeforge.worker.certinfo;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.CertificateFactory;
import io.kubeforge.worker.pki.FixtureKeys;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.pki.PkiPhase;
import io.kubeforge.worker.pki.Validity;
import io.kubeforge.worker.support.PhaseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import io.kubeforge.worker.config.Openssl;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertInfoPhaseTest {
  private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");
  private static final Instant NOW = START.plus(Duration.ofDays(1));

  @TempDir
  Path tmp;
  Path pki;

  @BeforeEach
  void setUp() {
    pki = tmp.resolve("pki");
  }

  private void makePki(String etcd) {
    makePki(pki, etcd, "8760h");
  }

  /** Makes a tree with the real PKI phase, its leaves valid for {@code validity} from START. */
  private static void makePki(Path pki, String etcd, String validity) {
    Map<String, Object> body = new HashMap<>(Map.of("cert_dir", pki.toString(), "advertise_address", "10.0.0.1",
        "node_name", "cp-1", "etcd", etcd, "certificate_validity", validity));
    if (etcd.equals("external")) {
      body.put("etcd_external_endpoints", java.util.List.of("https://10.0.0.2:2379"));
    }
    new PkiPhase(Clock.fixed(START, ZoneOffset.UTC), new FixtureKeys()).run(ClusterModel.pkiRequest(body), false);
  }

  private void makeKubeconfig(String file, String cn, List<String> orgs) throws IOException {
    makeKubeconfig(file, cn, orgs, pki);
  }

  /** Writes a kubeconfig as kubeadm does: client certificate from {@code caDir}'s CA, which it also trusts. */
  private void makeKubeconfig(String file, String cn, List<String> orgs, Path caDir) throws IOException {
    X509Certificate cert = issue(caDir, CertSpec.client(file, "ca", cn, orgs), Duration.ofHours(8760));
    String data = b64(Pem.encodeCertificate(cert));
    String caData = b64(Files.readString(caDir.resolve("ca.crt")));
    Files.writeString(tmp.resolve(file), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubernetes
          cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: %3$s}
        contexts:
        - name: %1$s@kubernetes
          context: {cluster: kubernetes, user: %1$s}
        - name: other
          context: {cluster: kubernetes, user: other}
        current-context: %1$s@kubernetes
        users:
        - name: other
          user: {token: abc}
        - name: %1$s
          user:
            client-certificate-data: %2$s
            client-key-data: c2VjcmV0
        """.formatted(cn, data, caData));
  }

  private static String b64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
  }

  private static X509Certificate issue(Path caDir, CertSpec spec, Duration validity) throws IOException {
    X509Certificate ca = Pem.parseCertificates(Files.readAllBytes(caDir.resolve("ca.crt"))).get(0);
    PrivateKey caKey = Pem.parsePrivateKey(Files.readAllBytes(caDir.resolve("ca.key")));
    KeyPair kp = FixtureKeys.rsa2048(7);
    return CertificateFactory.issue(spec, kp.getPublic(), ca, caKey, Validity.startingAt(START, validity));
  }

  /** A second tree with its own CAs (fresh ECDSA keys, the same names as the first). */
  private Path makeOtherPki() {
    Path other = tmp.resolve("other-pki");
    new PkiPhase(Clock.fixed(START, ZoneOffset.UTC), io.kubeforge.worker.pki.KeyPairs.secure()).run(
        ClusterModel.pkiRequest(Map.of("cert_dir", other.toString(), "advertise_address", "10.0.0.1",
            "node_name", "cp-1", "key_algorithm", "ECDSA-P256")), false);
    return other;
  }

  private PhaseResult report() {
    return report("720h");
  }

  private PhaseResult report(String warnBefore) {
    return new CertInfoPhase(Clock.fixed(NOW, ZoneOffset.UTC))
        .run(CertInfoOptions.fromMap(Map.of("cert_dir", pki.toString(), "kubeconfig_dir", tmp.toString(),
            "kubelet_cert_dir", tmp.resolve("kubelet-pki").toString(), "warn_before", warnBefore)));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(PhaseResult r, String key) {
    return (List<Map<String, Object>>) r.result().get(key);
  }

  private static Map<String, Object> row(List<Map<String, Object>> rows, String name) {
    return rows.stream().filter(r -> r.get("name").equals(name)).findFirst().orElseThrow();
  }

  @Test
  void listsKubeadmsManagedCertificatesSortedByName() throws IOException {
    makePki("local");
    makeKubeconfig("admin.conf", "kubernetes-admin", List.of("kubeadm:cluster-admins"));

    PhaseResult r = report();

    assertThat(r.changed()).isFalse();
    assertThat(list(r, "certificates")).extracting(m -> m.get("name")).containsExactly("admin.conf", "apiserver",
        "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf", "etcd-healthcheck-client",
        "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf", "super-admin.conf");
    assertThat(list(r, "certificate_authorities")).extracting(m -> m.get("name"))
        .containsExactly("ca", "etcd-ca", "front-proxy-ca");
  }

  @Test
  void rowsCarryExpiryResidualTimeAndIssuer() throws IOException {
    makePki("local");
    makeKubeconfig("admin.conf", "kubernetes-admin", List.of("kubeadm:cluster-admins"));

    PhaseResult r = report();

    Map<String, Object> api = row(list(r, "certificates"), "apiserver");
    assertThat(api.get("path")).isEqualTo(pki.resolve("apiserver.crt").toString());
    assertThat(api.get("expires")).isEqualTo("2027-11-23T12:00:00Z");
    assertThat(api.get("residual_time")).isEqualTo("364d");
    assertThat(api.get("residual_seconds")).isEqualTo(364L * 86400);
    assertThat(api.get("certificate_authority")).isEqualTo("ca");
    assertThat(api.get("externally_managed")).isEqualTo(false);
    assertThat(api.get("missing")).isEqualTo(false);
    assertThat(row(list(r, "certificates"), "etcd-peer").get("certificate_authority")).isEqualTo("etcd-ca");
    Map<String, Object> admin = row(list(r, "certificates"), "admin.conf");
    assertThat(admin.get("expires")).isEqualTo("2027-11-23T12:00:00Z");
    assertThat(admin.get("certificate_authority")).isEqualTo("ca");
    Map<String, Object> ca = row(list(r, "certificate_authorities"), "ca");
    assertThat(ca.get("residual_time")).isEqualTo("9y");
    assertThat(ca).doesNotContainKey("certificate_authority");
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void missingFilesAreReportedAsMissing() throws IOException {
    makePki("local");
    Files.delete(pki.resolve("front-proxy-client.crt"));

    PhaseResult r = report();

    Map<String, Object> fp = row(list(r, "certificates"), "front-proxy-client");
    assertThat(fp.get("missing")).isEqualTo(true);
    assertThat(fp.get("expires")).isNull();
    assertThat(row(list(r, "certificates"), "scheduler.conf").get("missing")).isEqualTo(true);
  }

  @Test
  void noEtcdRowsWithoutAnEtcdCa() {
    makePki("external");
    PhaseResult r = report();
    assertThat(list(r, "certificates")).extracting(m -> m.get("name")).doesNotContain("etcd-server",
        "etcd-peer", "etcd-healthcheck-client", "apiserver-etcd-client");
    assertThat(list(r, "certificate_authorities")).extracting(m -> m.get("name"))
        .containsExactly("ca", "front-proxy-ca");
  }

  @Test
  void caWithoutKeyMakesItsTreeExternallyManaged() throws IOException {
    makePki("local");
    makeKubeconfig("admin.conf", "kubernetes-admin", List.of("kubeadm:cluster-admins"));
    Files.delete(pki.resolve("ca.key"));

    PhaseResult r = report();

    assertThat(row(list(r, "certificate_authorities"), "ca").get("externally_managed")).isEqualTo(true);
    assertThat(row(list(r, "certificates"), "apiserver").get("externally_managed")).isEqualTo(true);
    assertThat(row(list(r, "certificates"), "admin.conf").get("externally_managed")).isEqualTo(true);
    assertThat(row(list(r, "certificates"), "etcd-server").get("externally_managed")).isEqualTo(false);
  }

  @Test
  void unreadableKubeconfigGivesAnErrorRowAndAWarningWithoutSecrets() throws IOException {
    makePki("local");
    Files.writeString(tmp.resolve("scheduler.conf"), "users: [ {name: x, user: {client-key-data: c2VjcmV0}} ]\n");
    Files.writeString(tmp.resolve("controller-manager.conf"), "!!java.net.URL [\"http://evil\"]\n");

    PhaseResult r = report();

    Map<String, Object> s = row(list(r, "certificates"), "scheduler.conf");
    assertThat(s.get("missing")).isEqualTo(false);
    assertThat(s.get("error")).isEqualTo("the user has no client certificate");
    assertThat(row(list(r, "certificates"), "controller-manager.conf").get("error")).isEqualTo("not valid YAML");
    assertThat(r.warnings()).hasSize(3).noneMatch(w -> w.contains("c2VjcmV0"))
        .contains("scheduler.conf (" + tmp.resolve("scheduler.conf") + ") names no certificate authority for its cluster");
  }

  @Test
  @org.junit.jupiter.api.Timeout(20)
  void aFifoOrAFolderWhereACertificateShouldBeIsAnErrorOfItsRowNeverAHang() throws Exception {
    makePki("local");
    Files.delete(pki.resolve("apiserver.crt"));
    Process mkfifo = new ProcessBuilder("mkfifo", pki.resolve("apiserver.crt").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    Files.delete(pki.resolve("front-proxy-client.crt"));
    Files.createDirectory(pki.resolve("front-proxy-client.crt"));

    PhaseResult r = report();

    assertThat(row(list(r, "certificates"), "apiserver").get("error")).isEqualTo("not a regular file");
    assertThat(row(list(r, "certificates"), "front-proxy-client").get("error")).isEqualTo("not a regular file");
    assertThat(row(list(r, "certificates"), "etcd-server").get("error")).isNull();
  }

  @Test
  void everyRowSaysWhoIssuedItAndWhetherItVerifiesAgainstTheCaOnDisk() throws IOException {
    makePki("local");
    makeKubeconfig("admin.conf", "kubernetes-admin", List.of("kubeadm:cluster-admins"));
    Path other = makeOtherPki();
    Files.copy(other.resolve("apiserver.crt"), pki.resolve("apiserver.crt"), StandardCopyOption.REPLACE_EXISTING);

    PhaseResult r = report();

    Map<String, Object> api = row(list(r, "certificates"), "apiserver");
    assertThat(api.get("subject")).isEqualTo("CN=kube-apiserver");
    assertThat(api.get("issuer")).isEqualTo("CN=kubernetes");
    assertThat(api.get("not_before")).isEqualTo("2026-11-23T11:55:00Z");
    assertThat(api.get("verified")).isEqualTo(false);
    assertThat(api.get("verification")).isEqualTo("not signed by ca (" + pki.resolve("ca.crt") + ")");
    Map<String, Object> etcd = row(list(r, "certificates"), "etcd-peer");
    assertThat(etcd.get("verified")).isEqualTo(true);
    assertThat(etcd.get("verification")).isEqualTo("signed by etcd-ca (" + pki.resolve("etcd/ca.crt") + ")");
    assertThat(row(list(r, "certificates"), "admin.conf").get("verified")).isEqualTo(true);
    assertThat(row(list(r, "certificates"), "admin.conf").get("subject"))
        .isEqualTo("CN=kubernetes-admin,O=kubeadm:cluster-admins");
    Map<String, Object> ca = row(list(r, "certificate_authorities"), "front-proxy-ca");
    assertThat(ca.get("verified")).isEqualTo(true);
    assertThat(ca.get("verification")).isEqualTo("self-signed");
    assertThat(ca.get("issuer")).isEqualTo("CN=front-proxy-ca");
  }

  @Test
  void aLeafWhoseCaIsGoneCannotBeVerifiedAndSaysWhy() throws IOException {
    makePki("local");
    Files.delete(pki.resolve("front-proxy-ca.crt"));

    Map<String, Object> fp = row(list(report(), "certificates"), "front-proxy-client");

    assertThat(fp.get("verified")).isNull();
    assertThat(fp.get("verification")).isEqualTo("front-proxy-ca (" + pki.resolve("front-proxy-ca.crt")
        + ") does not exist");
  }

  @Test
  void certificatesMadeWithAShortValidityAreListedAsExpiringAndTheCasAreNot() {
    makePki(pki, "local", "48h");

    PhaseResult r = report();

    Map<String, Object> api = row(list(r, "certificates"), "apiserver");
    assertThat(api.get("residual_seconds")).isEqualTo(86400L);
    assertThat(api.get("residual_time")).isEqualTo("24h");
    assertThat(r.result().get("warn_before")).isEqualTo("720h0m0s");
    assertThat(list(r, "expiring")).extracting(m -> m.get("name")).containsExactly("apiserver",
        "apiserver-etcd-client", "apiserver-kubelet-client", "etcd-healthcheck-client", "etcd-peer", "etcd-server",
        "front-proxy-client");
    assertThat(list(r, "expiring")).allSatisfy(m -> assertThat(m.get("group")).isEqualTo("certificates"));
    assertThat(list(report("23h"), "expiring")).isEmpty();
    assertThat(list(report("24h"), "expiring")).hasSize(7);
  }

  @Test
  void expiredCertificatesComeFirstInTheExpiringListEvenWithoutAWarningPeriod() throws IOException {
    makePki(pki, "local", "48h");
    X509Certificate expired = issue(pki, CertSpec.client("front-proxy-client", "ca", "front-proxy-client", List.of()),
        Duration.ofHours(1));
    Files.writeString(pki.resolve("apiserver-kubelet-client.crt"), Pem.encodeCertificate(expired));

    PhaseResult r = report("0s");

    Map<String, Object> kc = row(list(r, "certificates"), "apiserver-kubelet-client");
    assertThat(kc.get("residual_seconds")).isEqualTo(-23L * 3600);
    assertThat(kc.get("residual_time")).isEqualTo("<invalid>");
    assertThat(list(r, "expiring")).extracting(m -> m.get("name")).containsExactly("apiserver-kubelet-client");
    assertThat(list(report(), "expiring").get(0).get("name")).isEqualTo("apiserver-kubelet-client");
  }

  @Test
  void theKubeletsClientAndServingCertificatesAndKubeletConfAreReported() throws Exception {
    makePki("local");
    Path kubeletPki = Files.createDirectories(tmp.resolve("kubelet-pki"));
    X509Certificate client = issue(pki, CertSpec.client("kubelet-client", "ca", "system:node:cp-1",
        List.of("system:nodes")), Duration.ofDays(10));
    Path dated = kubeletPki.resolve("kubelet-client-2026-11-23-12-00-00.pem");
    Files.writeString(dated, Pem.encodeCertificate(client)
        + Pem.encodePrivateKey(FixtureKeys.rsa2048(7).getPrivate()));
    Files.createSymbolicLink(kubeletPki.resolve("kubelet-client-current.pem"), dated.getFileName());
    assertThat(Openssl.run(kubeletPki, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "kubelet.key",
        "-out", "kubelet.crt", "-subj", "/CN=cp-1@1763899200", "-days", "365").exit()).isZero();
    Files.writeString(tmp.resolve("kubelet.conf"), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubernetes
          cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: %s}
        contexts:
        - name: system:node:cp-1@kubernetes
          context: {cluster: kubernetes, user: system:node:cp-1}
        current-context: system:node:cp-1@kubernetes
        users:
        - name: system:node:cp-1
          user:
            client-certificate: %s
            client-key: %s
        """.formatted(b64(Files.readString(pki.resolve("ca.crt"))), kubeletPki.resolve("kubelet-client-current.pem"),
        kubeletPki.resolve("kubelet-client-current.pem")));

    PhaseResult r = report();

    List<Map<String, Object>> kubelet = list(r, "kubelet_certificates");
    assertThat(kubelet).extracting(m -> m.get("name")).containsExactly("kubelet.conf", "kubelet-client",
        "kubelet-serving");
    Map<String, Object> conf = row(kubelet, "kubelet.conf");
    assertThat(conf.get("path")).isEqualTo(tmp.resolve("kubelet.conf").toString());
    assertThat(conf.get("certificate_path")).isEqualTo(kubeletPki.resolve("kubelet-client-current.pem").toString());
    assertThat(conf.get("subject")).isEqualTo("CN=system:node:cp-1,O=system:nodes");
    assertThat(conf.get("verified")).isEqualTo(true);
    assertThat(conf.get("trusts_ca_on_disk")).isEqualTo(true);
    Map<String, Object> kc = row(kubelet, "kubelet-client");
    assertThat(kc.get("residual_time")).isEqualTo("9d");
    assertThat(kc.get("certificate_authority")).isEqualTo("ca");
    assertThat(kc.get("verified")).isEqualTo(true);
    Map<String, Object> serving = row(kubelet, "kubelet-serving");
    assertThat(serving.get("path")).isEqualTo(kubeletPki.resolve("kubelet.crt").toString());
    assertThat(serving.get("issuer")).isEqualTo("CN=cp-1@1763899200");
    assertThat(serving.get("verified")).isNull();
    assertThat(serving.get("verification")).isEqualTo("self-signed by the kubelet: no CA on disk to verify it against");
    assertThat(serving).doesNotContainKey("certificate_authority");
    assertThat(list(r, "expiring")).extracting(m -> m.get("name")).containsExactly("kubelet-client", "kubelet.conf");
    assertThat(list(r, "expiring")).extracting(m -> m.get("group")).containsOnly("kubelet_certificates");
  }

  @Test
  void aRotatedServingCertificateIsPreferredAndVerifiedAgainstTheClusterCa() throws IOException {
    makePki("local");
    Path kubeletPki = Files.createDirectories(tmp.resolve("kubelet-pki"));
    Files.writeString(kubeletPki.resolve("kubelet.crt"), "stale");
    X509Certificate serving = issue(pki, CertSpec.client("kubelet-serving", "ca", "system:node:cp-1",
        List.of("system:nodes")), Duration.ofDays(365));
    Files.writeString(kubeletPki.resolve("kubelet-server-current.pem"), Pem.encodeCertificate(serving));

    Map<String, Object> row = row(list(report(), "kubelet_certificates"), "kubelet-serving");

    assertThat(row.get("path")).isEqualTo(kubeletPki.resolve("kubelet-server-current.pem").toString());
    assertThat(row.get("verified")).isEqualTo(true);
    assertThat(row.get("certificate_authority")).isEqualTo("ca");
  }

  @Test
  void theCaBundleEachKubeconfigTrustsIsListedAndComparedWithTheCaOnDisk() throws IOException {
    makePki("local");
    makeKubeconfig("admin.conf", "kubernetes-admin", List.of("kubeadm:cluster-admins"));
    Path other = makeOtherPki();
    makeKubeconfig("scheduler.conf", "system:kube-scheduler", List.of(), other);

    PhaseResult r = report();

    List<Map<String, Object>> trust = list(r, "trust_bundles");
    assertThat(trust).extracting(m -> m.get("name")).containsExactly(
        "admin.conf:certificate-authority-data[0]", "scheduler.conf:certificate-authority-data[0]");
    Map<String, Object> admin = trust.get(0);
    assertThat(admin.get("path")).isEqualTo(tmp.resolve("admin.conf").toString());
    assertThat(admin.get("subject")).isEqualTo("CN=kubernetes");
    assertThat(admin.get("residual_time")).isEqualTo("9y");
    assertThat(admin.get("verified")).isEqualTo(true);
    assertThat(trust.get(1).get("verified")).isEqualTo(false);
    assertThat(trust.get(1).get("verification")).isEqualTo("is not ca on disk (" + pki.resolve("ca.crt") + ")");
    assertThat(row(list(r, "certificates"), "admin.conf").get("trusts_ca_on_disk")).isEqualTo(true);
    Map<String, Object> scheduler = row(list(r, "certificates"), "scheduler.conf");
    assertThat(scheduler.get("trusts_ca_on_disk")).isEqualTo(false);
    assertThat(scheduler.get("verified")).isEqualTo(false);
  }

  @Test
  @org.junit.jupiter.api.Timeout(20)
  void aFifoInTheKubeletsFolderIsAnErrorOfItsRowNeverAHang() throws Exception {
    makePki("local");
    Path kubeletPki = Files.createDirectories(tmp.resolve("kubelet-pki"));
    Process mkfifo = new ProcessBuilder("mkfifo", kubeletPki.resolve("kubelet-client-current.pem").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();

    PhaseResult r = report();

    assertThat(row(list(r, "kubelet_certificates"), "kubelet-client").get("error")).isEqualTo("not a regular file");
    assertThat(r.warnings()).anyMatch(w -> w.startsWith("couldn't read kubelet-client"));
  }
}
