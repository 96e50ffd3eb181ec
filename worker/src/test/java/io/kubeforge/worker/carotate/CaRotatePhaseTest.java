package io.kubeforge.worker.carotate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Openssl;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.kubeconfig.KubeconfigPhase;
import io.kubeforge.worker.pki.CaCertHash;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.pki.PkiPhase;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaRotatePhaseTest {
  private static final CaRotatePhase PHASE = new CaRotatePhase(Clock.systemUTC(), KeyPairs.secure());

  /** A control-plane tree (ECDSA keys) as the pki and kubeconfig phases write it. */
  private static void tree(Path root) {
    Map<String, Object> body = new HashMap<>(Map.of("cert_dir", root.resolve("pki").toString(),
        "kubeconfig_dir", root.toString(), "advertise_address", "192.0.2.10", "node_name", "cp-1",
        "key_algorithm", "ECDSA-P256"));
    new PkiPhase(Clock.systemUTC(), KeyPairs.secure()).run(ClusterModel.pkiRequest(body), false);
    new KubeconfigPhase().run(body, false);
  }

  private static PhaseResult rotate(Path root, String phase, Object... more) {
    return run(root, phase, false, more);
  }

  private static PhaseResult run(Path root, String phase, boolean dryRun, Object... more) {
    Map<String, Object> body = new HashMap<>(Map.of("phase", phase, "cert_dir", root.resolve("pki").toString(),
        "kubeconfig_dir", root.toString()));
    for (int i = 0; i < more.length; i += 2) {
      body.put((String) more[i], more[i + 1]);
    }
    return PHASE.run(body, dryRun);
  }

  private static List<X509Certificate> certs(Path file) throws Exception {
    return Pem.parseCertificates(Files.readAllBytes(file));
  }

  private static Openssl.Run verify(Path root, Path caFile, Path cert) {
    return Openssl.run(root, "verify", "-CAfile", caFile.toString(), cert.toString());
  }

  /** The kubeconfig's CA bundle and client certificate, written out for openssl. */
  private static Path[] kubeconfigParts(Path root, String name) throws Exception {
    Map<?, ?> cfg = (Map<?, ?>) SafeYaml.load(Files.readString(root.resolve(name)), "kubeconfig");
    Map<?, ?> cluster = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("clusters")).get(0)).get("cluster");
    Map<?, ?> user = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("users")).get(0)).get("user");
    Path ca = Files.write(root.resolve(name + ".ca.pem"), Base64.getDecoder().decode((String) cluster.get("certificate-authority-data")));
    Path client = Files.write(root.resolve(name + ".client.pem"), Base64.getDecoder().decode((String) user.get("client-certificate-data")));
    return new Path[] {ca, client};
  }

  @SuppressWarnings("unchecked")
  private static List<String> hashes(PhaseResult r) {
    return (List<String>) r.result().get("ca_cert_hashes");
  }

  @Test
  void theKubernetesCaIsRotatedInThreeStepsThatOpensslFollowsAndEachStepRunTwiceWritesNothing(@TempDir Path root)
      throws Exception {
    tree(root);
    Path pki = root.resolve("pki");
    X509Certificate oldCa = certs(pki.resolve("ca.crt")).get(0);
    byte[] oldKey = Files.readAllBytes(pki.resolve("ca.key"));
    Path oldApiserver = Files.copy(pki.resolve("apiserver.crt"), root.resolve("old-apiserver.crt"));
    Path oldAdmin = Files.copy(kubeconfigParts(root, "admin.conf")[1], root.resolve("old-admin.pem"));
    byte[] apiserverKey = Files.readAllBytes(pki.resolve("apiserver.key"));

    PhaseResult prepared = rotate(root, "prepare");
    assertThat(prepared.changed()).isTrue();
    Path newCrt = pki.resolve("rotation/kubernetes/new.crt");
    X509Certificate newCa = certs(newCrt).get(0);
    assertThat(certs(pki.resolve("ca.crt"))).containsExactly(oldCa, newCa);
    assertThat(Files.readAllBytes(pki.resolve("ca.key"))).isEqualTo(oldKey);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve("rotation/kubernetes/new.key"))))
        .isEqualTo("rw-------");
    assertThat(hashes(prepared)).containsExactly(CaCertHash.of(oldCa), CaCertHash.of(newCa));
    assertThat(prepared.result().get("controller_manager_extra_args")).isEqualTo(Map.of(
        "cluster-signing-cert-file", newCrt.toString(),
        "cluster-signing-key-file", pki.resolve("rotation/kubernetes/new.key").toString()));
    for (String kc : CaRotatePhase.KUBECONFIGS) {
      assertThat(certs(kubeconfigParts(root, kc)[0])).as(kc).containsExactly(oldCa, newCa);
    }
    assertThat(verify(root, pki.resolve("ca.crt"), oldApiserver).exit()).isZero();
    assertThat(rotate(root, "prepare").changed()).isFalse();

    PhaseResult reissued = rotate(root, "reissue");
    assertThat(reissued.changed()).isTrue();
    assertThat(verify(root, newCrt, pki.resolve("apiserver.crt")).exit()).isZero();
    assertThat(verify(root, newCrt, oldApiserver).exit()).isNotZero();
    assertThat(verify(root, pki.resolve("ca.crt"), pki.resolve("apiserver.crt")).exit()).isZero();
    assertThat(verify(root, newCrt, pki.resolve("apiserver-kubelet-client.crt")).exit()).isZero();
    X509Certificate before = certs(oldApiserver).get(0);
    X509Certificate after = certs(pki.resolve("apiserver.crt")).get(0);
    assertThat(after.getSubjectX500Principal()).isEqualTo(before.getSubjectX500Principal());
    assertThat(List.copyOf(after.getSubjectAlternativeNames())).isEqualTo(List.copyOf(before.getSubjectAlternativeNames()));
    assertThat(after.getExtendedKeyUsage()).isEqualTo(before.getExtendedKeyUsage());
    assertThat(after.getPublicKey()).isEqualTo(before.getPublicKey());
    assertThat(Files.readAllBytes(pki.resolve("apiserver.key"))).isEqualTo(apiserverKey);
    for (String kc : CaRotatePhase.KUBECONFIGS) {
      Path[] parts = kubeconfigParts(root, kc);
      assertThat(verify(root, newCrt, parts[1]).exit()).as(kc).isZero();
    }
    assertThat(rotate(root, "reissue").changed()).isFalse();

    PhaseResult finished = rotate(root, "finish");
    assertThat(finished.changed()).isTrue();
    assertThat(certs(pki.resolve("ca.crt"))).containsExactly(newCa);
    assertThat(Files.readAllBytes(pki.resolve("ca.key"))).isEqualTo(Files.readAllBytes(pki.resolve("rotation/kubernetes/new.key")));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve("ca.key")))).isEqualTo("rw-------");
    assertThat(hashes(finished)).containsExactly(CaCertHash.of(newCa));
    assertThat(verify(root, pki.resolve("ca.crt"), oldApiserver).exit()).isNotZero();
    assertThat(verify(root, pki.resolve("ca.crt"), oldAdmin).exit()).isNotZero();
    assertThat(verify(root, pki.resolve("ca.crt"), pki.resolve("apiserver.crt")).exit()).isZero();
    assertThat(certs(kubeconfigParts(root, "admin.conf")[0])).containsExactly(newCa);
    @SuppressWarnings("unchecked")
    List<String> backups = (List<String>) finished.result().get("backups");
    assertThat(backups).anyMatch(b -> b.contains("ca.key")).anyMatch(b -> b.contains("ca.crt"));
    String backedUpKey = backups.stream().filter(b -> b.contains("ca.key")).findFirst().orElseThrow();
    assertThat(Files.readAllBytes(Path.of(backedUpKey))).isEqualTo(oldKey);
    assertThat(rotate(root, "finish").changed()).isFalse();
    assertThatThrownBy(() -> rotate(root, "prepare")).isInstanceOf(WorkerException.class)
        .hasMessageContaining("finished");
  }

  @Test
  void finishBeforeReissueIsRefusedNamingWhatTheOldCaStillSignsAndWritesNothing(@TempDir Path root) throws Exception {
    tree(root);
    rotate(root, "prepare");
    byte[] bundle = Files.readAllBytes(root.resolve("pki/ca.crt"));
    assertThatThrownBy(() -> rotate(root, "finish")).isInstanceOf(WorkerException.class)
        .hasMessageContaining("apiserver.crt").hasMessageContaining("admin.conf")
        .extracting(e -> ((WorkerException) e).status()).isEqualTo(409);
    assertThat(Files.readAllBytes(root.resolve("pki/ca.crt"))).isEqualTo(bundle);
  }

  @Test
  void reissueWithoutPrepareIsAConflictNamingThePhase(@TempDir Path root) {
    tree(root);
    assertThatThrownBy(() -> rotate(root, "reissue")).isInstanceOf(WorkerException.class)
        .hasMessageContaining("run phase=prepare first")
        .extracting(e -> ((WorkerException) e).field()).isEqualTo("phase");
  }

  @Test
  void aDryRunReportsTheChangesAndWritesNothing(@TempDir Path root) throws Exception {
    tree(root);
    byte[] ca = Files.readAllBytes(root.resolve("pki/ca.crt"));
    PhaseResult r = run(root, "prepare", true);
    assertThat(r.changed()).isTrue();
    assertThat(r.diff()).isNotNull();
    assertThat(root.resolve("pki/rotation")).doesNotExist();
    assertThat(Files.readAllBytes(root.resolve("pki/ca.crt"))).isEqualTo(ca);
  }

  @Test
  void aPrepareStoppedAfterTheNewCaWasWrittenResumesWithTheSameNewCa(@TempDir Path root) throws Exception {
    tree(root);
    byte[] ca = Files.readAllBytes(root.resolve("pki/ca.crt"));
    byte[] admin = Files.readAllBytes(root.resolve("admin.conf"));
    rotate(root, "prepare");
    X509Certificate newCa = certs(root.resolve("pki/rotation/kubernetes/new.crt")).get(0);
    Files.write(root.resolve("pki/ca.crt"), ca); // as if the run stopped before the bundle
    Files.write(root.resolve("admin.conf"), admin);
    PhaseResult again = rotate(root, "prepare");
    assertThat(again.changed()).isTrue();
    assertThat(certs(root.resolve("pki/ca.crt")).get(1)).isEqualTo(newCa);
    assertThat(certs(kubeconfigParts(root, "admin.conf")[0])).hasSize(2);
  }

  @Test
  void aNodeWithoutTheCaKeyOnlyUpdatesItsTrustFromTheNewCertificate(@TempDir Path root) throws Exception {
    Path cp = root.resolve("cp");
    tree(cp);
    Path worker = root.resolve("worker");
    Files.createDirectories(worker.resolve("pki"));
    Files.copy(cp.resolve("pki/ca.crt"), worker.resolve("pki/ca.crt"));
    Files.copy(cp.resolve("kubelet.conf"), worker.resolve("kubelet.conf"));
    assertThatThrownBy(() -> rotate(worker, "prepare", "kubeconfigs", List.of("kubelet.conf")))
        .isInstanceOf(WorkerException.class).extracting(e -> ((WorkerException) e).field()).isEqualTo("new_cert");
    String newCert = (String) rotate(cp, "prepare").result().get("new_cert");
    PhaseResult r = rotate(worker, "prepare", "kubeconfigs", List.of("kubelet.conf"), "new_cert", newCert);
    assertThat(r.changed()).isTrue();
    assertThat(Files.readAllBytes(worker.resolve("pki/ca.crt"))).isEqualTo(Files.readAllBytes(cp.resolve("pki/ca.crt")));
    assertThat(certs(kubeconfigParts(worker, "kubelet.conf")[0])).hasSize(2);
    assertThat(worker.resolve("pki/rotation/kubernetes/new.key")).doesNotExist();
    rotate(cp, "reissue");
    rotate(cp, "finish");
    assertThat(rotate(worker, "finish", "kubeconfigs", List.of("kubelet.conf"), "new_cert", newCert).changed()).isTrue();
    assertThat(Files.readAllBytes(worker.resolve("pki/ca.crt"))).isEqualTo(Files.readAllBytes(cp.resolve("pki/ca.crt")));
  }

  @Test
  void theOtherControlPlanesTakeTheFirstOnesNewCaAndEndUpEqual(@TempDir Path root) throws Exception {
    Path first = root.resolve("cp1");
    tree(first);
    Path second = root.resolve("cp2");
    Files.createDirectories(second);
    try (Stream<Path> s = Files.walk(first)) {
      for (Path p : s.toList()) {
        Path to = second.resolve(first.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    String cert = (String) rotate(first, "prepare").result().get("new_cert");
    String key = Files.readString(first.resolve("pki/rotation/kubernetes/new.key"));
    assertThatThrownBy(() -> rotate(second, "prepare", "new_cert", cert)).isInstanceOf(WorkerException.class)
        .extracting(e -> ((WorkerException) e).field()).isEqualTo("new_key");
    rotate(second, "prepare", "new_cert", cert, "new_key", key);
    assertThat(Files.readAllBytes(second.resolve("pki/ca.crt"))).isEqualTo(Files.readAllBytes(first.resolve("pki/ca.crt")));
    assertThat(rotate(second, "prepare", "new_cert", cert, "new_key", key).changed()).isFalse();
  }

  @Test
  void theServiceAccountKeyRotatesWithBothPublicKeysTrustedUntilFinish(@TempDir Path root) throws Exception {
    tree(root);
    Path pki = root.resolve("pki");
    byte[] oldKey = Files.readAllBytes(pki.resolve("sa.key"));
    PublicKey oldPub = Pem.parsePublicKeys(Files.readAllBytes(pki.resolve("sa.pub"))).get(0);

    assertThat(rotate(root, "prepare", "ca", "service-account").changed()).isTrue();
    PublicKey newPub = KeyPairs.publicKeyOf(Pem.parsePrivateKey(Files.readAllBytes(pki.resolve("rotation/service-account/new.key"))));
    assertThat(Pem.parsePublicKeys(Files.readAllBytes(pki.resolve("sa.pub")))).containsExactly(oldPub, newPub);
    assertThat(Files.readAllBytes(pki.resolve("sa.key"))).isEqualTo(oldKey);
    assertThat(rotate(root, "prepare", "ca", "service-account").changed()).isFalse();
    assertThatThrownBy(() -> rotate(root, "finish", "ca", "service-account")).isInstanceOf(WorkerException.class)
        .hasMessageContaining("still the old key");

    assertThat(rotate(root, "reissue", "ca", "service-account").changed()).isTrue();
    assertThat(KeyPairs.publicKeyOf(Pem.parsePrivateKey(Files.readAllBytes(pki.resolve("sa.key"))))).isEqualTo(newPub);
    assertThat(Pem.parsePublicKeys(Files.readAllBytes(pki.resolve("sa.pub")))).containsExactly(oldPub, newPub);
    assertThat(rotate(root, "reissue", "ca", "service-account").changed()).isFalse();

    assertThat(rotate(root, "finish", "ca", "service-account").changed()).isTrue();
    assertThat(Pem.parsePublicKeys(Files.readAllBytes(pki.resolve("sa.pub")))).containsExactly(newPub);
    Openssl.Run read = Openssl.run(root, "pkey", "-pubin", "-in", pki.resolve("sa.pub").toString(), "-noout");
    assertThat(read.exit()).as(read.output()).isZero();
    assertThat(rotate(root, "finish", "ca", "service-account").changed()).isFalse();
    // the ca tree is untouched by a service-account rotation
    assertThat(pki.resolve("rotation/kubernetes")).doesNotExist();
  }

  @Test
  void theEtcdCaRotatesItsOwnLeavesOnly(@TempDir Path root) throws Exception {
    tree(root);
    Path pki = root.resolve("pki");
    byte[] apiserver = Files.readAllBytes(pki.resolve("apiserver.crt"));
    byte[] admin = Files.readAllBytes(root.resolve("admin.conf"));
    rotate(root, "prepare", "ca", "etcd");
    rotate(root, "reissue", "ca", "etcd");
    Path newCrt = pki.resolve("rotation/etcd/new.crt");
    List<String> failed = new ArrayList<>();
    for (String leaf : List.of("etcd/server.crt", "etcd/peer.crt", "etcd/healthcheck-client.crt", "apiserver-etcd-client.crt")) {
      if (verify(root, newCrt, pki.resolve(leaf)).exit() != 0) {
        failed.add(leaf);
      }
    }
    assertThat(failed).isEmpty();
    assertThat(rotate(root, "finish", "ca", "etcd").changed()).isTrue();
    assertThat(certs(pki.resolve("etcd/ca.crt"))).hasSize(1);
    assertThat(Files.readAllBytes(pki.resolve("apiserver.crt"))).isEqualTo(apiserver);
    assertThat(Files.readAllBytes(root.resolve("admin.conf"))).isEqualTo(admin);
  }

  @Test
  void badInputIsA400NamingTheField(@TempDir Path root) {
    assertThatThrownBy(() -> rotate(root, "rotate")).isInstanceOf(WorkerException.class)
        .extracting(e -> ((WorkerException) e).field()).isEqualTo("phase");
    assertThatThrownBy(() -> rotate(root, "prepare", "ca", "apiserver")).isInstanceOf(WorkerException.class)
        .extracting(e -> ((WorkerException) e).field()).isEqualTo("ca");
    assertThatThrownBy(() -> rotate(root, "prepare", "new_cert", "not a pem")).isInstanceOf(WorkerException.class)
        .extracting(e -> ((WorkerException) e).status()).isEqualTo(400);
    assertThatThrownBy(() -> rotate(root, "prepare", "kubeconfigs", List.of("../x.conf")))
        .isInstanceOf(WorkerException.class).extracting(e -> ((WorkerException) e).field()).isEqualTo("kubeconfigs[0]");
  }
}
