package io.kubeforge.worker.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Openssl;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCsrPhaseTest {
  private static final List<String> LEAVES = List.of("apiserver", "apiserver-kubelet-client", "front-proxy-client",
      "etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client");
  private static final List<String> KUBECONFIGS = List.of("admin.conf", "super-admin.conf", "kubelet.conf",
      "controller-manager.conf", "scheduler.conf");

  private final GenerateCsrPhase phase = new GenerateCsrPhase(KeyPairs::generate, Fixtures.CLOCK);

  private static Map<String, Object> body(Path root) {
    Map<String, Object> b = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    b.put("key_algorithm", "ECDSA-P256");
    return b;
  }

  @Test
  void everyLeafAndKubeconfigGetsAKeyAndACsrThatOpensslVerifiesWithKubeadmsSubjectsAndSans(@TempDir Path root)
      throws Exception {
    PhaseResult r = phase.run(body(root), false);
    assertThat(r.changed()).isTrue();
    for (String leaf : LEAVES) {
      Path csr = root.resolve("pki/" + leaf + ".csr");
      Openssl.Run verify = Openssl.run(root, "req", "-verify", "-noout", "-in", csr.toString());
      assertThat(verify.exit()).as(leaf + ": " + verify.output()).isZero();
      Openssl.Run match = Openssl.run(root, "req", "-noout", "-in", csr.toString(), "-pubkey");
      Openssl.Run keyPub = Openssl.run(root, "pkey", "-in", root.resolve("pki/" + leaf + ".key").toString(), "-pubout");
      assertThat(match.output()).as(leaf).isEqualTo(keyPub.output());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("pki/" + leaf + ".key"))))
          .isEqualTo("rw-------");
    }
    String api = Openssl.run(root, "req", "-noout", "-text", "-in", root.resolve("pki/apiserver.csr").toString()).output();
    assertThat(api).contains("CN = kube-apiserver", "DNS:kubernetes.default.svc.cluster.local", "IP Address:10.96.0.1",
        "IP Address:192.168.10.11");
    for (String k : KUBECONFIGS) {
      Path csr = root.resolve("etc/" + k + ".csr");
      assertThat(Openssl.run(root, "req", "-verify", "-noout", "-in", csr.toString()).exit()).as(k).isZero();
      Map<?, ?> cfg = (Map<?, ?>) SafeYaml.load(Files.readString(root.resolve("etc/" + k)), "kubeconfig");
      Map<?, ?> user = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("users")).get(0)).get("user");
      assertThat(user.keySet().toString()).isEqualTo("[client-key-data]");
    }
    String admin = Openssl.run(root, "req", "-noout", "-subject", "-in", root.resolve("etc/admin.conf.csr").toString())
        .output();
    assertThat(admin).contains("O = kubeadm:cluster-admins", "CN = kubernetes-admin");
  }

  @Test
  void aSecondRunKeepsMatchingPairsAndAStrayFileIsAConflictWithNothingWritten(@TempDir Path root) throws Exception {
    phase.run(body(root), false);
    byte[] key = Files.readAllBytes(root.resolve("pki/apiserver.key"));
    PhaseResult again = phase.run(body(root), false);
    assertThat(again.changed()).isFalse();
    assertThat(Files.readAllBytes(root.resolve("pki/apiserver.key"))).isEqualTo(key);

    Files.delete(root.resolve("etc/scheduler.conf.csr"));
    Files.delete(root.resolve("pki/front-proxy-client.csr"));
    assertThatThrownBy(() -> phase.run(body(root), false)).isInstanceOfSatisfying(WorkerException.class,
        e -> assertThat(e.code()).isEqualTo("csr.exists"));
    assertThat(root.resolve("pki/front-proxy-client.csr")).doesNotExist();
  }
}
