package io.kubeforge.worker.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.config.TestControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ManifestsIT submits every rendered static Pod to the real kube-apiserver v1.34.10 as a
 * server-side dry run with strict field validation: the API server decodes it as a v1 Pod
 * (unknown or duplicate fields are errors), validates and admits it (priority class, probes,
 * named ports, volumes). Skipped when the binaries are not built.
 */
class ManifestsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyRenderedManifestIsAcceptedByTheRealApiServerWithStrictValidation(@TempDir Path tmp) throws Exception {
    assumeTrue(TestControlPlane.available(), "etcd/kube-apiserver not built (conformance/build.sh)");
    try (TestControlPlane cp = TestControlPlane.startEtcd(tmp)) {
      cp.startApiServer(List.of());
      HttpClient http = TestControlPlane.client(null);
      // the ServiceAccount admission plugin wants kube-system/default, which the controller-manager would create
      send(http, cp.apiUrl() + "/api/v1/namespaces/kube-system/serviceaccounts",
          "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"default\"}}", 201);
      List<String> checked = new ArrayList<>();
      for (String cluster : List.of("single-stack", "dual-stack")) {
        ClusterModel m = ClusterModel.fromRequest(Fixtures.cluster(cluster));
        for (Map.Entry<String, String> e : new ManifestsPhase(Fixtures.BARE_HOST, Fixtures.CLOCK)
            .render(m, new ArrayList<>()).entrySet()) {
          String json = JSON.writeValueAsString(SafeYaml.load(e.getValue(), e.getKey()));
          send(http, cp.apiUrl() + "/api/v1/namespaces/kube-system/pods?dryRun=All&fieldValidation=Strict", json, 201);
          checked.add(cluster + "/" + e.getKey());
        }
      }
      assertThat(checked).hasSize(8);
      // the check has teeth: an unknown field is refused under strict validation
      send(http, cp.apiUrl() + "/api/v1/namespaces/kube-system/pods?dryRun=All&fieldValidation=Strict",
          "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"bogus\":1,"
              + "\"containers\":[{\"name\":\"x\",\"image\":\"x\"}]}}", 400);
    }
  }

  private static void send(HttpClient http, String url, String json, int expected) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + TestControlPlane.TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url + "\n" + r.body()).isEqualTo(expected);
    assertThat(r.headers().allValues("Warning")).as("server warnings for " + url).isEmpty();
  }
}
