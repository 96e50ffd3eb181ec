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
    Map<String, Object> body = new HashMap<>(Map.of("cert_dir", pki.toString(), "advertise_address", "10.0.0.1",
        "node_name", "cp-1", "etcd", etcd));
    if (etcd.equals("external")) {
      body.put("etcd_external_endpoints", java.util.List.of("https://10.0.0.2:2379"));
    }
    new PkiPhase(Clock.fixed(START, ZoneOffset.UTC), new FixtureKeys()).run(ClusterModel.pkiRequest(body), false);
  }

  private void makeKubeconfig(String file, String cn, List<String> orgs) throws IOException {
    X509Certificate ca = Pem.parseCertificates(Files.readAllBytes(pki.resolve("ca.crt"))).get(0);
    PrivateKey caKey = Pem.parsePrivateKey(Files.readAllBytes(pki.resolve("ca.key")));
    KeyPair kp = FixtureKeys.rsa2048(7);
    X509Certificate cert = CertificateFactory.issue(CertSpec.client(file, "ca", cn, orgs), kp.getPublic(), ca, caKey,
        Validity.startingAt(START, Duration.ofHours(8760)));
    String data = Base64.getEncoder().encodeToString(Pem.encodeCertificate(cert).getBytes(StandardCharsets.US_ASCII));
    Files.writeString(tmp.resolve(file), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kubernetes
          cluster: {server: "https://10.0.0.1:6443"}
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
        """.formatted(cn, data));
  }

  private PhaseResult report() {
    return new CertInfoPhase(Clock.fixed(NOW, ZoneOffset.UTC))
        .run(CertInfoOptions.fromMap(Map.of("cert_dir", pki.toString(), "kubeconfig_dir", tmp.toString())));
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
    assertThat(r.warnings()).hasSize(2).noneMatch(w -> w.contains("c2VjcmV0"));
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
}
