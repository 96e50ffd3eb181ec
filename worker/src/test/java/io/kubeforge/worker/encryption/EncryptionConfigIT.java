package io.kubeforge.worker.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.config.TestControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EncryptionConfigIT proves the EncryptionConfiguration against the real etcd 3.6.5 and
 * kube-apiserver v1.34.10 the conformance harness builds: a Secret written through the API server
 * is stored in etcd with the {@code k8s:enc:secretbox:v1:<key>:} prefix; after a rotation and an
 * API server restart the old Secret still reads back and a new one uses the new key. Skipped when
 * the binaries are not built.
 */
class EncryptionConfigIT {
  private static final String TOKEN = TestControlPlane.TOKEN;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void secretsAreStoredEncryptedAndSurviveKeyRotation(@TempDir Path tmp) throws Exception {
    assumeTrue(TestControlPlane.available(), "etcd/kube-apiserver not built (conformance/build.sh)");
    try (TestControlPlane cp = TestControlPlane.startEtcd(tmp)) {
      Path encConfig = tmp.resolve("enc/encryption-config.yaml");
      Map<String, Object> request = new HashMap<>();
      request.put("encryption_config_path", encConfig.toString());
      EncryptionConfigPhase phase = new EncryptionConfigPhase();
      String firstKey = (String) phase.run(request, false).result().get("active_key");
      List<String> flags = List.of("--encryption-provider-config=" + encConfig);
      cp.startApiServer(flags);
      HttpClient http = TestControlPlane.client(null);

      createSecret(http, cp.apiUrl(), "s1");
      assertThat(storedPrefix(http, cp.etcdUrl(), "s1")).isEqualTo("k8s:enc:secretbox:v1:" + firstKey + ":");

      request.put("rotate", true);
      String secondKey = (String) phase.run(request, false).result().get("active_key");
      assertThat(secondKey).isNotEqualTo(firstKey);
      cp.startApiServer(flags);

      HttpResponse<String> old = http.send(get(cp.apiUrl() + "/api/v1/namespaces/default/secrets/s1"),
          HttpResponse.BodyHandlers.ofString());
      assertThat(old.statusCode()).as(old.body()).isEqualTo(200);
      assertThat(JSON.readTree(old.body()).at("/data/k").asText()).isEqualTo(Base64.getEncoder().encodeToString("v".getBytes()));
      createSecret(http, cp.apiUrl(), "s2");
      assertThat(storedPrefix(http, cp.etcdUrl(), "s2")).isEqualTo("k8s:enc:secretbox:v1:" + secondKey + ":");
    }
  }

  private static void createSecret(HttpClient http, String api, String name) throws Exception {
    String body = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"k\":\"dg==\"}}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces/default/secrets"))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  /** Reads the raw etcd value of a Secret through etcd's v3 JSON gateway and returns its prefix up to the key name. */
  private static String storedPrefix(HttpClient http, String etcdUrl, String name) throws Exception {
    String key = Base64.getEncoder().encodeToString(("/registry/secrets/default/" + name).getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(etcdUrl + "/v3/kv/range"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode kvs = JSON.readTree(r.body()).get("kvs");
    assertThat(kvs).as(r.body()).isNotNull();
    byte[] value = Base64.getDecoder().decode(kvs.get(0).get("value").asText());
    String text = new String(value, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContain("\"k\"");
    int third = text.indexOf(':', text.indexOf("secretbox:v1:") + "secretbox:v1:".length());
    return text.substring(0, third + 1);
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).GET().build();
  }
}
