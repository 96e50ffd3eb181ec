package io.kubeforge.worker.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.config.TestControlPlane;
import io.kubeforge.worker.pki.Pem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KubeconfigIT presents every kubeconfig's embedded client certificate to the real
 * kube-apiserver v1.34.10 (with {@code --client-ca-file} = the cluster CA) and asks who it is
 * with a SelfSubjectReview: the user name and groups must be kubeadm's. Skipped when the
 * binaries are not built.
 */
class KubeconfigIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyKubeconfigAuthenticatesAsKubeadmsUserAndGroups(@TempDir Path tmp) throws Exception {
    assumeTrue(TestControlPlane.available(), "etcd/kube-apiserver not built (conformance/build.sh)");
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), tmp);
    Fixtures.installCa(tmp.resolve("pki"), false);
    new KubeconfigPhase().run(body, false);
    try (TestControlPlane cp = TestControlPlane.startEtcd(tmp)) {
      cp.startApiServer(List.of("--client-ca-file=" + tmp.resolve("pki/ca.crt")));
      Map<String, List<String>> expected = Map.of(
          "admin.conf", List.of("kubernetes-admin", "kubeadm:cluster-admins"),
          "super-admin.conf", List.of("kubernetes-super-admin", "system:masters"),
          "kubelet.conf", List.of("system:node:cp-1", "system:nodes"),
          "controller-manager.conf", List.of("system:kube-controller-manager"),
          "scheduler.conf", List.of("system:kube-scheduler"));
      for (Map.Entry<String, List<String>> e : expected.entrySet()) {
        JsonNode user = whoAmI(cp, tmp.resolve("etc").resolve(e.getKey()));
        assertThat(user.get("username").asText()).as(e.getKey()).isEqualTo(e.getValue().get(0));
        List<String> groups = new ArrayList<>();
        user.get("groups").forEach(g -> groups.add(g.asText()));
        assertThat(groups).as(e.getKey()).containsAll(e.getValue().subList(1, e.getValue().size()))
            .contains("system:authenticated");
      }
      // break-glass: super-admin.conf bypasses RBAC; admin.conf needs kubeadm's ClusterRoleBinding first
      assertThat(list(cp, tmp.resolve("etc/super-admin.conf"))).isEqualTo(200);
      assertThat(list(cp, tmp.resolve("etc/admin.conf"))).isEqualTo(403);
    }
  }

  private static JsonNode whoAmI(TestControlPlane cp, Path kubeconfig) throws Exception {
    HttpResponse<String> r = client(kubeconfig).send(HttpRequest.newBuilder(
            URI.create(cp.apiUrl() + "/apis/authentication.k8s.io/v1/selfsubjectreviews"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(kubeconfig + ": " + r.body()).isEqualTo(201);
    return JSON.readTree(r.body()).at("/status/userInfo");
  }

  private static int list(TestControlPlane cp, Path kubeconfig) throws Exception {
    return client(kubeconfig).send(HttpRequest.newBuilder(URI.create(cp.apiUrl() + "/api/v1/namespaces")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  /** Builds a client presenting the kubeconfig's embedded certificate and key. */
  private static HttpClient client(Path kubeconfig) throws Exception {
    Map<?, ?> cfg = (Map<?, ?>) SafeYaml.load(Files.readString(kubeconfig), "kubeconfig");
    Map<?, ?> auth = (Map<?, ?>) ((Map<?, ?>) ((List<?>) cfg.get("users")).get(0)).get("user");
    byte[] cert = Base64.getDecoder().decode((String) auth.get("client-certificate-data"));
    byte[] key = Base64.getDecoder().decode((String) auth.get("client-key-data"));
    PrivateKey pk = Pem.parsePrivateKey(key);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = "it".toCharArray();
    ks.setKeyEntry("client", pk, pw, Pem.parseCertificates(cert).toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    return TestControlPlane.client(kmf.getKeyManagers());
  }
}
