package io.kubeforge.worker.pki;

import static io.kubeforge.worker.pki.PkiTrees.START;
import static io.kubeforge.worker.pki.PkiTrees.cert;
import static io.kubeforge.worker.pki.PkiTrees.certificates;
import static io.kubeforge.worker.pki.PkiTrees.options;
import static io.kubeforge.worker.pki.PkiTrees.phase;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PkiPhaseTest {
  @TempDir
  Path tmp;

  private static final List<String> ALL_FILES = List.of("ca.crt", "ca.key", "apiserver.crt", "apiserver.key",
      "apiserver-kubelet-client.crt", "apiserver-kubelet-client.key", "front-proxy-ca.crt", "front-proxy-ca.key",
      "front-proxy-client.crt", "front-proxy-client.key", "etcd/ca.crt", "etcd/ca.key", "etcd/server.crt",
      "etcd/server.key", "etcd/peer.crt", "etcd/peer.key", "etcd/healthcheck-client.crt",
      "etcd/healthcheck-client.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key", "sa.key", "sa.pub");

  private Path pki() {
    return tmp.resolve("pki");
  }

  private PhaseResult init(Object... more) {
    return phase().run(options(pki(), more), false);
  }

  private X509Certificate read(String file) throws IOException {
    return Pem.parseCertificates(Files.readAllBytes(pki().resolve(file))).get(0);
  }

  @Test
  void firstRunCreatesEveryFileOfKubeadmsListWithItsMode() throws IOException {
    PhaseResult r = init();

    assertThat(r.changed()).isTrue();
    for (String f : ALL_FILES) {
      Path p = pki().resolve(f);
      String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
      assertThat(mode).as(f).isEqualTo(f.endsWith(".crt") ? "rw-r--r--" : "rw-------");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki().resolve("etcd"))))
        .isEqualTo("rwxr-xr-x");
    assertThat(certificates(r.result())).extracting(c -> c.get("name")).containsExactly("ca", "front-proxy-ca",
        "etcd-ca", "apiserver", "apiserver-kubelet-client", "front-proxy-client", "etcd-server", "etcd-peer",
        "etcd-healthcheck-client", "apiserver-etcd-client");
    assertThat(certificates(r.result())).allSatisfy(c -> assertThat(c.get("action")).isEqualTo("created"));
    assertThat(r.result().get("ca_cert_hash")).isEqualTo(CaCertHash.of(read("ca.crt")));
    assertThat(r.result().get("external_ca")).isEqualTo(false);
    assertThat(r.result().get("backups")).isEqualTo(List.of());
    try (Stream<Path> s = Files.walk(pki())) {
      assertThat(s.filter(Files::isRegularFile).map(p -> pki().relativize(p).toString()))
          .containsExactlyInAnyOrderElementsOf(ALL_FILES);
    }
  }

  @Test
  void resultEntryOfTheApiServerMirrorsTheCertificate() throws IOException {
    PhaseResult r = init();
    Map<String, Object> api = cert(r.result(), "apiserver");
    X509Certificate c = read("apiserver.crt");

    assertThat(api.get("path")).isEqualTo(pki().resolve("apiserver.crt").toString());
    assertThat(api.get("subject")).isEqualTo("CN=kube-apiserver");
    assertThat(api.get("issuer")).isEqualTo("CN=kubernetes");
    assertThat(api.get("dns_names")).isEqualTo(List.of("cp-1", "kubernetes", "kubernetes.default",
        "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"));
    assertThat(api.get("ip_addresses")).isEqualTo(List.of("10.96.0.1", "192.168.0.10"));
    assertThat(api.get("not_after")).isEqualTo("2027-11-23T12:00:00Z");
    assertThat(c.getNotAfter().toInstant()).isEqualTo(START.plus(Duration.ofHours(8760)));
    assertThat(api.get("reason")).isNull();
  }

  @Test
  void secondRunKeepsEverythingAndTouchesNoFile() throws Exception {
    init();
    Map<String, FileTime> before = mtimes();
    Thread.sleep(20);

    PhaseResult again = phase(START.plusSeconds(3600)).run(options(pki()), false);

    assertThat(again.changed()).isFalse();
    assertThat(certificates(again.result())).allSatisfy(c -> assertThat(c.get("action")).isEqualTo("kept"));
    assertThat(again.diff().get("before")).isEqualTo(again.diff().get("after"));
    assertThat(mtimes()).isEqualTo(before);
    assertThat(again.warnings()).isEmpty();
  }

  @Test
  void dryRunOnAnEmptyDirectoryWritesNothingAndReportsTheSameCertificates() {
    PhaseResult dry = phase().run(options(pki()), true);
    PhaseResult real = phase().run(options(pki()), false);

    assertThat(pki()).exists();
    assertThat(dry.changed()).isTrue();
    assertThat(dry.result().get("ca_cert_hash")).isNull();
    assertThat(certificates(dry.result())).isEqualTo(certificates(real.result()));
    assertThat(dry.diff()).isEqualTo(real.diff());
  }

  @Test
  void dryRunCreatesNotEvenTheDirectory() {
    phase().run(options(pki()), true);
    assertThat(pki()).doesNotExist();
  }

  @Test
  void dryRunAfterARealRunReportsNoChange() throws Exception {
    init();
    Map<String, FileTime> before = mtimes();
    PhaseResult dry = phase().run(options(pki()), true);
    assertThat(dry.changed()).isFalse();
    assertThat(mtimes()).isEqualTo(before);
  }

  static Stream<Arguments> reissueCases() {
    return Stream.of(
        Arguments.of("adding an apiserver SAN reissues only the apiserver certificate",
            new Object[] {"apiserver_cert_sans", List.of("10.0.0.5", "api.example.com")}, "apiserver",
            "missing SAN DNS:api.example.com, IP:10.0.0.5"),
        Arguments.of("a new control plane endpoint host reissues the apiserver certificate",
            new Object[] {"control_plane_endpoint", "lb.example.com:6443"}, "apiserver",
            "missing SAN DNS:lb.example.com"),
        Arguments.of("a new advertise address reissues apiserver, etcd server and etcd peer",
            new Object[] {"advertise_address", "192.168.0.11"}, "etcd-peer", "missing SAN IP:192.168.0.11"),
        Arguments.of("a new dns domain reissues the apiserver certificate",
            new Object[] {"dns_domain", "corp.local"}, "apiserver", "missing SAN DNS:kubernetes.default.svc.corp.local"),
        Arguments.of("a new etcd server SAN reissues only etcd-server",
            new Object[] {"etcd_server_cert_sans", List.of("etcd.example.com")}, "etcd-server",
            "missing SAN DNS:etcd.example.com"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reissueCases")
  void changedSansReissueWithAReasonAndBackup(String name, Object[] change, String cert, String reason)
      throws IOException {
    init();
    PhaseResult r = phase(START.plusSeconds(60)).run(options(pki(), change), false);

    assertThat(r.changed()).isTrue();
    Map<String, Object> entry = cert(r.result(), cert);
    assertThat(entry.get("action")).isEqualTo("reissued");
    assertThat(entry.get("reason")).isEqualTo(reason);
    assertThat(cert(r.result(), "ca").get("action")).isEqualTo("kept");
    assertThat(cert(r.result(), "apiserver-kubelet-client").get("action")).isEqualTo("kept");
    String base = CertCatalog.all().stream().filter(s -> s.name().equals(cert)).findFirst().orElseThrow().baseName();
    assertThat(backups(r)).contains(
        pki().resolve(base + ".crt.20261123T120100Z.bak").toString(),
        pki().resolve(base + ".key.20261123T120100Z.bak").toString());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
        pki().resolve(base + ".key.20261123T120100Z.bak")))).isEqualTo("rw-------");
    assertThat(phase(START.plusSeconds(120)).run(options(pki(), change), false).changed()).isFalse();
  }

  @Test
  void backupFalseReplacesWithoutCopies() {
    init();
    PhaseResult r = phase().run(options(pki(), "apiserver_cert_sans", List.of("10.0.0.5"), "backup", false), false);
    assertThat(r.result().get("backups")).isEqualTo(List.of());
    assertThat(pki().toFile().list((d, n) -> n.endsWith(".bak"))).isEmpty();
  }

  @Test
  void expiredLeafIsReissuedButTheCaIsKept() {
    phase(START).run(options(pki(), "certificate_validity", "1h"), false);

    PhaseResult r = phase(START.plus(Duration.ofHours(2))).run(options(pki(), "certificate_validity", "1h"), false);

    assertThat(cert(r.result(), "apiserver").get("reason")).isEqualTo("expired on 2026-11-23T13:00:00Z");
    assertThat(cert(r.result(), "ca").get("action")).isEqualTo("kept");
    assertThat(cert(r.result(), "apiserver").get("not_after")).isEqualTo("2026-11-23T15:00:00Z");
  }

  @Test
  void leafCloseToExpiryIsKeptWithAWarning() {
    phase(START).run(options(pki(), "certificate_validity", "240h"), false);
    PhaseResult r = phase(START.plus(Duration.ofDays(1))).run(options(pki(), "certificate_validity", "240h"), false);
    assertThat(r.changed()).isFalse();
    assertThat(r.warnings()).contains("certificate apiserver expires on 2026-12-03T12:00:00Z");
  }

  @Test
  void leafSignedByAnotherCaIsReissued() throws IOException {
    init();
    Path other = tmp.resolve("other");
    new PkiPhase(java.time.Clock.fixed(START, java.time.ZoneOffset.UTC), new FixtureKeys(5)).run(options(other), false);
    Files.copy(other.resolve("apiserver.crt"), pki().resolve("apiserver.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(other.resolve("apiserver.key"), pki().resolve("apiserver.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    PhaseResult r = phase().run(options(pki()), false);

    assertThat(cert(r.result(), "apiserver").get("reason")).isEqualTo("not signed by ca");
    assertThat(CertChecks.signedBy(List.of(read("apiserver.crt")), read("ca.crt"))).isTrue();
  }

  @Test
  void missingLeafKeyIsReissued() throws IOException {
    init();
    Files.delete(pki().resolve("front-proxy-client.key"));
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "front-proxy-client").get("action")).isEqualTo("reissued");
    assertThat(cert(r.result(), "front-proxy-client").get("reason")).isEqualTo("key missing");
  }

  @Test
  void emptyCertificateFileLeftByACrashIsReissued() throws IOException {
    init();
    Files.write(pki().resolve("etcd/peer.crt"), new byte[0]);
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "etcd-peer").get("reason")).isEqualTo("etcd/peer.crt is empty");
  }

  @Test
  void newCaReissuesTheLeavesOfItsTreeOnly() throws IOException {
    init();
    Files.delete(pki().resolve("front-proxy-ca.crt"));
    Files.delete(pki().resolve("front-proxy-ca.key"));
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "front-proxy-ca").get("action")).isEqualTo("created");
    assertThat(cert(r.result(), "front-proxy-client").get("reason")).isEqualTo("new front-proxy-ca");
    assertThat(cert(r.result(), "apiserver").get("action")).isEqualTo("kept");
  }

  @Test
  void keyThatDoesNotMatchItsCertificateIsRepairedFromItsCaAfterABackup() throws Exception {
    init();
    Files.copy(pki().resolve("apiserver-kubelet-client.key"), pki().resolve("apiserver.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String caHash = (String) phase().run(options(pki()), true).result().get("ca_cert_hash");

    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "apiserver").get("action")).isEqualTo("reissued");
    assertThat((String) cert(r.result(), "apiserver").get("reason")).contains("key does not match certificate");
    assertThat(cert(r.result(), "apiserver-kubelet-client").get("action")).isEqualTo("kept");
    assertThat(r.result().get("ca_cert_hash")).isEqualTo(caHash);
    assertThat((List<?>) r.result().get("backups")).hasSize(2);
    assertThat(phase().run(options(pki()), false).changed()).isFalse();
  }

  @Test
  void aCaKeyThatDoesNotMatchItsCertificateKeepsTheKeyAndRemakesTheTree() throws Exception {
    init();
    Files.copy(pki().resolve("front-proxy-ca.key"), pki().resolve("ca.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "ca").get("action")).isEqualTo("reissued");
    assertThat((String) cert(r.result(), "ca").get("reason")).startsWith("repaired: ca.key does not match ca.crt");
    assertThat(cert(r.result(), "apiserver").get("reason")).isEqualTo("new ca");
    assertThat(cert(r.result(), "front-proxy-client").get("action")).isEqualTo("kept");
    assertThat(phase().run(options(pki()), false).changed()).isFalse();
  }

  @Test
  void caCertificateThatIsNotACaIsAConflict() throws IOException {
    init();
    Files.copy(pki().resolve("apiserver.crt"), pki().resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(pki().resolve("apiserver.key"), pki().resolve("ca.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> phase().run(options(pki()), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("pki.not_a_ca"));
  }

  @Test
  void garbageKeyFileIsAConflictWithoutEchoingIt() throws IOException {
    init();
    Files.writeString(pki().resolve("apiserver.key"), "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> phase().run(options(pki()), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.code()).isEqualTo("pki.unreadable_file");
          assertThat(e.getMessage()).doesNotContain("c2VjcmV0");
        });
  }

  @Test
  void caKeyWithoutItsCertificateKeepsTheKeySoTheJoinPinStaysTheSame() throws IOException {
    String pin = (String) init().result().get("ca_cert_hash");
    byte[] key = Files.readAllBytes(pki().resolve("ca.key"));
    Files.delete(pki().resolve("ca.crt"));
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "ca").get("action")).isEqualTo("created");
    assertThat((String) cert(r.result(), "ca").get("reason")).startsWith("repaired: ca.key without ca.crt");
    assertThat(r.result().get("ca_cert_hash")).isEqualTo(pin);
    assertThat(Files.readAllBytes(pki().resolve("ca.key"))).isEqualTo(key);
    assertThat(phase().run(options(pki()), false).changed()).isFalse();
  }

  @Test
  void leafKeyWithoutItsCertificateAndServiceAccountPublicKeyWithoutItsKeyAreRepaired() throws IOException {
    init();
    Files.delete(pki().resolve("apiserver.crt"));
    Files.delete(pki().resolve("sa.key"));
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "apiserver").get("action")).isEqualTo("reissued");
    @SuppressWarnings("unchecked")
    Map<String, Object> sa = (Map<String, Object>) r.result().get("service_account_key");
    assertThat(sa.get("action")).isEqualTo("created");
    assertThat((String) sa.get("reason")).startsWith("repaired: sa.pub without sa.key");
    assertThat(phase().run(options(pki()), false).changed()).isFalse();
  }

  @Test
  void externalEtcdSkipsTheEtcdTree() {
    PhaseResult r = init("etcd", "external");
    assertThat(certificates(r.result())).extracting(c -> c.get("name")).containsExactly("ca", "front-proxy-ca",
        "apiserver", "apiserver-kubelet-client", "front-proxy-client");
    assertThat(pki().resolve("etcd")).doesNotExist();
  }

  @Test
  void externalCaSignsNothingAndReportsWhatIsWrong() throws IOException {
    init();
    Files.delete(pki().resolve("ca.key"));
    Files.delete(pki().resolve("apiserver-kubelet-client.key"));
    Map<String, FileTime> before = mtimes();

    PhaseResult r = phase().run(options(pki(), "apiserver_cert_sans", List.of("10.0.0.5")), false);

    assertThat(r.result().get("external_ca")).isEqualTo(true);
    assertThat(cert(r.result(), "ca").get("action")).isEqualTo("external");
    assertThat(cert(r.result(), "apiserver").get("action")).isEqualTo("external");
    assertThat(cert(r.result(), "apiserver").get("reason")).isEqualTo("missing SAN IP:10.0.0.5");
    assertThat(cert(r.result(), "apiserver-kubelet-client").get("reason")).isEqualTo("key missing");
    assertThat(cert(r.result(), "front-proxy-client").get("action")).isEqualTo("kept");
    assertThat(r.warnings()).anyMatch(w -> w.startsWith("external CA mode for ca"))
        .anyMatch(w -> w.contains("certificate apiserver is not usable (missing SAN IP:10.0.0.5)"));
    assertThat(r.changed()).isFalse();
    assertThat(mtimes()).isEqualTo(before);
  }

  @Test
  void externalCaWithCompleteLeavesIsQuiet() throws IOException {
    init();
    Files.delete(pki().resolve("etcd/ca.key"));
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(cert(r.result(), "etcd-server").get("action")).isEqualTo("external");
    assertThat(cert(r.result(), "etcd-server").get("reason")).isNull();
    assertThat(r.result().get("external_ca")).isEqualTo(false);
    assertThat(r.warnings()).hasSize(1);
  }

  @Test
  void serviceAccountKeyIsReusedAndAMissingPublicKeyIsRewrittenFromIt() throws IOException {
    init();
    byte[] key = Files.readAllBytes(pki().resolve("sa.key"));
    byte[] pub = Files.readAllBytes(pki().resolve("sa.pub"));
    Files.delete(pki().resolve("sa.pub"));

    PhaseResult r = phase().run(options(pki()), false);

    @SuppressWarnings("unchecked")
    Map<String, Object> sa = (Map<String, Object>) r.result().get("service_account_key");
    assertThat(sa.get("action")).isEqualTo("reissued");
    assertThat(sa.get("reason")).isEqualTo("sa.pub missing");
    assertThat(Files.readAllBytes(pki().resolve("sa.key"))).isEqualTo(key);
    assertThat(Files.readAllBytes(pki().resolve("sa.pub"))).isEqualTo(pub);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki().resolve("sa.pub")))).isEqualTo("rw-------");
  }

  @Test
  void symlinkedCertDirIsRefused() throws IOException {
    Path real = Files.createDirectory(tmp.resolve("real"));
    Files.createSymbolicLink(pki(), real);
    for (boolean dry : new boolean[] {true, false}) {
      assertThatThrownBy(() -> phase().run(options(pki()), dry))
          .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("pki.symlink_in_path"));
    }
    assertThat(real.toFile().list()).isEmpty();
  }

  @Test
  void symlinkedFileInsideCertDirIsRefused() throws IOException {
    init();
    Path outside = tmp.resolve("evil.key");
    Files.move(pki().resolve("etcd/peer.key"), outside);
    Files.createSymbolicLink(pki().resolve("etcd/peer.key"), outside);
    assertThatThrownBy(() -> phase().run(options(pki()), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("pki.symlink_in_path"));
  }

  @Test
  void symlinkedEtcdDirectoryIsRefused() throws IOException {
    Files.createDirectories(pki());
    Path outside = Files.createDirectory(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(pki().resolve("etcd"), outside);
    assertThatThrownBy(() -> phase().run(options(pki()), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("pki.symlink_in_path"));
    assertThat(outside.toFile().list()).isEmpty();
  }

  @Test
  void concurrentRunsOnOneDirectoryMakeExactlyOneCa() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<PhaseResult>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(() -> phase().run(options(pki()), false));
      }
      List<Future<PhaseResult>> results = pool.invokeAll(calls);
      long created = 0;
      for (Future<PhaseResult> f : results) {
        if (cert(f.get().result(), "ca").get("action").equals("created")) {
          created++;
        }
      }
      assertThat(created).isEqualTo(1);
      String hash = (String) results.get(0).get().result().get("ca_cert_hash");
      for (Future<PhaseResult> f : results) {
        assertThat(f.get().result().get("ca_cert_hash")).isEqualTo(hash);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void diffShowsOneLinePerFile() {
    init();
    PhaseResult r = phase().run(options(pki(), "apiserver_cert_sans", List.of("10.0.0.5")), true);
    String before = (String) r.diff().get("before");
    String after = (String) r.diff().get("after");
    assertThat(before.lines()).hasSize(ALL_FILES.size());
    assertThat(before).contains("apiserver.crt: CN=kube-apiserver, issuer CN=kubernetes, SANs [DNS:cp-1, DNS:kubernetes,");
    assertThat(after).contains("IP:192.168.0.10, IP:10.0.0.5], not after 2027-11-23T12:00:00Z")
        .contains("apiserver.key: new RSA-2048 private key")
        .doesNotContain("PRIVATE KEY-----");
  }

  static Stream<Arguments> algorithms() {
    return Stream.of(
        Arguments.of("RSA-3072 gives 3072-bit keys signed with SHA256withRSA", "RSA-3072", "RSA", 3072, "SHA256withRSA"),
        Arguments.of("RSA-4096 gives 4096-bit keys signed with SHA256withRSA", "RSA-4096", "RSA", 4096, "SHA256withRSA"),
        Arguments.of("ECDSA-P256 gives P-256 keys signed with SHA256withECDSA", "ECDSA-P256", "EC", 256,
            "SHA256withECDSA"),
        Arguments.of("ECDSA-P384 gives P-384 keys signed with SHA384withECDSA", "ECDSA-P384", "EC", 384,
            "SHA384withECDSA"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void keyAlgorithmAppliesToEveryKeyIncludingSa(String name, String alg, String jca, int bits, String sigAlg)
      throws IOException {
    PhaseResult r = init("key_algorithm", alg);
    for (String f : ALL_FILES) {
      if (f.endsWith(".key")) {
        var key = Pem.parsePrivateKey(Files.readAllBytes(pki().resolve(f)));
        assertThat(KeyAlgorithm.describe(KeyPairs.publicKeyOf(key))).as(f).isEqualTo(alg);
      } else if (f.endsWith(".crt")) {
        assertThat(read(f).getSigAlgName()).as(f).isEqualTo(sigAlg);
        assertThat(read(f).getPublicKey().getAlgorithm()).isEqualTo(jca);
      }
    }
    assertThat(KeyAlgorithm.describe(Pem.parsePublicKeys(Files.readAllBytes(pki().resolve("sa.pub"))).get(0)))
        .isEqualTo(alg);
    assertThat(r.diff().get("after").toString()).contains("ca.key: new " + alg + " private key");
    assertThat(phase().run(options(pki(), "key_algorithm", alg), false).changed()).isFalse();
  }

  @Test
  void changingTheKeyAlgorithmAloneKeepsExistingCertificatesAsKubeadmDoes() {
    init();
    PhaseResult r = phase().run(options(pki(), "key_algorithm", "ECDSA-P256"), false);
    assertThat(r.changed()).isFalse();
  }

  @Test
  void keptKeyReadableByOthersGetsAWarning() throws IOException {
    init();
    Files.setPosixFilePermissions(pki().resolve("ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
    PhaseResult r = phase().run(options(pki()), false);
    assertThat(r.changed()).isFalse();
    assertThat(r.warnings()).containsExactly("private key " + pki().resolve("ca.key")
        + " has mode rw-r--r--; it should be rw------- (0600)");
  }

  @Test
  void leavesThatWouldOutliveAKeptCaGetAWarning() {
    init("ca_certificate_validity", "100h", "certificate_validity", "10h");
    PhaseResult r = phase().run(options(pki(), "ca_certificate_validity", "100h",
        "apiserver_cert_sans", List.of("10.0.0.5")), false);
    assertThat(r.warnings()).contains("certificate_validity is longer than ca_certificate_validity; "
        + "leaf certificates will outlive their CA", "certificate apiserver will be valid until "
        + "2027-11-23T12:00:00Z but its CA ca expires on 2026-11-27T16:00:00Z");
  }

  @Test
  void certDirThatIsAFileIsAConflict() throws IOException {
    Files.writeString(pki(), "not a directory");
    for (boolean dry : new boolean[] {true, false}) {
      assertThatThrownBy(() -> phase().run(options(pki()), dry))
          .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("pki.not_a_directory"));
    }
  }

  @Test
  void neitherResultNorDiffNorWarningsHoldKeyMaterial() throws IOException {
    PhaseResult first = init();
    Files.delete(pki().resolve("sa.pub"));
    PhaseResult second = phase().run(options(pki(), "apiserver_cert_sans", List.of("10.0.0.5")), false);
    List<String> keyLines = new ArrayList<>();
    for (String f : ALL_FILES) {
      if (f.endsWith(".key")) {
        Files.readAllLines(pki().resolve(f)).stream().filter(l -> !l.startsWith("-----")).forEach(keyLines::add);
      }
    }
    for (PhaseResult r : List.of(first, second)) {
      String all = r.result() + " " + r.diff() + " " + r.warnings();
      assertThat(all).doesNotContain("PRIVATE KEY");
      assertThat(keyLines).allSatisfy(line -> assertThat(all).doesNotContain(line));
    }
  }

  @Test
  void expiredCaIsKeptWithAWarningAsKubeadmDoes() {
    init("ca_certificate_validity", "1h", "certificate_validity", "1h");
    PhaseResult r = phase(START.plus(Duration.ofMinutes(30))).run(options(pki(), "ca_certificate_validity", "1h",
        "certificate_validity", "1h"), false);
    assertThat(r.changed()).isFalse();
    PhaseResult later = phase(START.plus(Duration.ofHours(2))).run(options(pki(), "ca_certificate_validity", "1h",
        "certificate_validity", "1h"), false);
    assertThat(cert(later.result(), "ca").get("action")).isEqualTo("kept");
    assertThat(later.warnings()).contains("could not validate bounds for certificate ca: it is valid from "
        + "2026-11-23T11:55:00Z to 2026-11-23T13:00:00Z");
    assertThat(cert(later.result(), "apiserver").get("reason")).isEqualTo("expired on 2026-11-23T13:00:00Z");
  }

  @SuppressWarnings("unchecked")
  private static List<String> backups(PhaseResult r) {
    return (List<String>) r.result().get("backups");
  }


  private Map<String, FileTime> mtimes() throws IOException {
    Map<String, FileTime> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(pki())) {
      for (Path p : s.toList()) {
        out.put(pki().relativize(p).toString(), Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
      }
    }
    return out;
  }
}
