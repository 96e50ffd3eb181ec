package io.kubeforge.worker.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.http.WorkerServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Drives the real capabilities through the real HTTP layer, as a module does. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class CapabilitiesTest {
  private static final String TOKEN = "f".repeat(64);

  @TempDir Path tmp;
  private Vertx vertx;
  private WebClient client;
  private int port;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    port = new WorkerServer(vertx, TOKEN, Capabilities.all(), "test").listen("127.0.0.1", 0).await().actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private Future<HttpResponse<Buffer>> post(String path, JsonObject body) {
    return client.post(port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + TOKEN)
        .sendJsonObject(body);
  }

  private JsonObject pkiRequest(Path dir) {
    return new JsonObject().put("cert_dir", dir.toString()).put("advertise_address", "10.0.0.5")
        .put("node_name", "cp1").put("key_algorithm", "ECDSA-P256");
  }

  @Test
  @DisplayName("concurrent calls on one folder are serialised and never make two CAs")
  void concurrentCallsOnOneFolderMakeOneCa() throws Exception {
    Path dir = tmp.resolve("pki");
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(post("/v1/pki", pkiRequest(dir)));
    }
    Future.all(calls).await();
    List<String> caActions = new ArrayList<>();
    List<String> hashes = new ArrayList<>();
    for (var call : calls) {
      HttpResponse<Buffer> r = call.result();
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      JsonObject result = r.bodyAsJsonObject().getJsonObject("result");
      caActions.add(result.getJsonArray("certificates").getJsonObject(0).getString("action"));
      hashes.add(result.getString("ca_cert_hash"));
    }
    assertThat(caActions).containsOnlyOnce("created");
    assertThat(hashes).containsOnly(hashes.get(0));
    assertThat(Files.readString(dir.resolve("ca.crt"))).containsOnlyOnce("BEGIN CERTIFICATE");
  }

  @Test
  @DisplayName("a dry run reports what it would create and leaves the folder absent")
  void aDryRunWritesNothing() {
    Path dir = tmp.resolve("dry");
    HttpResponse<Buffer> r = post("/v1/pki", pkiRequest(dir).put("dry_run", true)).await();
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getBoolean("changed")).isTrue();
    JsonArray certs = body.getJsonObject("result").getJsonArray("certificates");
    assertThat(certs).hasSize(10);
    assertThat(dir).doesNotExist();
  }

  @Test
  @DisplayName("no response carries private key material")
  void noResponseCarriesKeys() {
    Path dir = tmp.resolve("keys");
    String first = post("/v1/pki", pkiRequest(dir)).await().bodyAsString();
    String info = post("/v1/cert-info", new JsonObject().put("cert_dir", dir.toString())
        .put("kubeconfig_dir", tmp.resolve("none").toString())).await().bodyAsString();
    for (String body : List.of(first, info)) {
      assertThat(body).doesNotContain("PRIVATE KEY").doesNotContain("MIG").doesNotContain("MII");
    }
  }

  @Test
  @DisplayName("cert-info never changes anything and lists the CAs")
  void certInfoIsReadOnly() {
    Path dir = tmp.resolve("info");
    post("/v1/pki", pkiRequest(dir)).await();
    JsonObject body = post("/v1/cert-info", new JsonObject().put("cert_dir", dir.toString())
        .put("kubeconfig_dir", tmp.toString())).await().bodyAsJsonObject();
    assertThat(body.getBoolean("changed")).isFalse();
    assertThat(body.getJsonObject("result").getJsonArray("certificate_authorities")).hasSize(3);
  }

  @Test
  @DisplayName("the whole control-plane tree is made through the API and a second pass changes nothing")
  void theWholeTreeConverges() {
    Path etc = tmp.resolve("etc-kubernetes");
    JsonObject cluster = new JsonObject().put("cert_dir", etc.resolve("pki").toString())
        .put("kubeconfig_dir", etc.toString()).put("manifest_dir", etc.resolve("manifests").toString())
        .put("kubelet_config_path", tmp.resolve("var-lib-kubelet/config.yaml").toString())
        .put("encryption_config_path", etc.resolve("encryption/config.yaml").toString())
        .put("advertise_address", "10.0.0.5").put("node_name", "cp1").put("key_algorithm", "ECDSA-P256");
    List<String> calls = List.of("pki", "kubeconfigs", "encryption-config", "static-pods", "kubelet-config");
    for (int pass = 0; pass < 2; pass++) {
      for (String call : calls) {
        HttpResponse<Buffer> r = post("/v1/" + call, cluster.copy()).await();
        assertThat(r.statusCode()).as(call + ": " + r.bodyAsString()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getBoolean("changed")).as(call + " pass " + pass).isEqualTo(pass == 0);
        assertThat(r.bodyAsString()).doesNotContain("PRIVATE KEY").doesNotContainPattern("secret: (?!<redacted>)");
      }
    }
    assertThat(etc.resolve("admin.conf")).exists();
    assertThat(etc.resolve("manifests/kube-apiserver.yaml")).content().contains("--encryption-provider-config=");
  }

  @Test
  @DisplayName("the pki call reads a kubeadm configuration and refuses an unknown field in it, naming it")
  void pkiReadsKubeadmConfig() {
    String config = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n"
        + "  advertiseAddress: 10.0.0.7\nnodeRegistration:\n  name: cp7\n---\n"
        + "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificatesDir: "
        + tmp.resolve("fromconfig") + "\nencryptionAlgorithm: ECDSA-P256\n";
    HttpResponse<Buffer> ok = post("/v1/pki", new JsonObject().put("kubeadm_config", config)).await();
    assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
    assertThat(ok.bodyAsString()).contains("10.0.0.7").contains("cp7");
    HttpResponse<Buffer> bad = post("/v1/pki", new JsonObject().put("kubeadm_config", config + "networkin: {}\n")).await();
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.bodyAsJsonObject().getJsonObject("error").getString("field")).contains("networkin");
  }

  @Test
  @DisplayName("the OpenAPI document describes exactly the calls the worker serves")
  @SuppressWarnings("unchecked")
  void openapiMatchesTheCatalog() throws Exception {
    try (var in = CapabilitiesTest.class.getResourceAsStream("/openapi.yaml")) {
      Map<String, Object> doc = new org.yaml.snakeyaml.Yaml(
          new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions())).load(in);
      Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
      java.util.Set<String> posts = new java.util.TreeSet<>();
      paths.forEach((path, ops) -> {
        if (((Map<String, Object>) ops).containsKey("post")) {
          posts.add(path);
        }
      });
      java.util.Set<String> served = new java.util.TreeSet<>();
      Capabilities.all().keySet().forEach(name -> served.add("/v1/" + name));
      assertThat(posts).isEqualTo(served);
    }
  }

  @Test
  @DisplayName("an unusable path is a 400 naming its field from every call, and nothing is created")
  void unusablePathsAreRefusedBeforeAnythingIsCreated() throws Exception {
    Path root = tmp.resolve("root");
    Files.createDirectory(root);
    String tooLong = root.resolve("n".repeat(256)).resolve("x").toString();
    Map<String, String> bad = Map.of("cert_dir", tooLong, "kubeconfig_dir", root + "/" + "d/".repeat(2100),
        "kubelet_config_path", "/", "encryption_config_path", "/");
    for (String call : List.of("pki", "kubeconfigs", "static-pods", "encryption-config", "kubelet-config")) {
      for (Map.Entry<String, String> e : bad.entrySet()) {
        JsonObject body = new JsonObject().put("advertise_address", "10.0.0.5").put("node_name", "cp1")
            .put("cert_dir", root.resolve("pki").toString()).put("kubeconfig_dir", root.toString())
            .put("manifest_dir", root.resolve("manifests").toString())
            .put("kubelet_config_path", root.resolve("kubelet/config.yaml").toString()).put(e.getKey(), e.getValue());
        HttpResponse<Buffer> r = post("/v1/" + call, body).await();
        assertThat(r.statusCode()).as(call + " " + e.getKey() + ": " + r.bodyAsString()).isEqualTo(400);
        JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("config.invalid_path");
        assertThat(error.getString("field")).isEqualTo(e.getKey());
        try (var left = Files.list(root)) {
          assertThat(left).as(call + " " + e.getKey()).isEmpty();
        }
      }
    }
  }

  @Test
  @DisplayName("every request field the OpenAPI document names is accepted, and the model's defaults are the ones it states")
  @SuppressWarnings("unchecked")
  void theDocumentedFieldsAndDefaultsAreTheAcceptedOnes() throws Exception {
    Map<String, Object> doc;
    try (var in = CapabilitiesTest.class.getResourceAsStream("/openapi.yaml")) {
      doc = new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(
          new org.yaml.snakeyaml.LoaderOptions())).load(in);
    }
    Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) doc.get("components")).get("schemas");
    Map<String, Capability> all = Capabilities.all();
    ((Map<String, Object>) doc.get("paths")).forEach((path, ops) -> {
      Map<String, Object> post = (Map<String, Object>) ((Map<String, Object>) ops).get("post");
      if (post == null) {
        return;
      }
      Object schema = ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) post.get("requestBody"))
          .get("content")).get("application/json")).get("schema");
      Map<String, Object> body = new java.util.HashMap<>();
      properties(schema, schemas).keySet().forEach(f -> body.put(f, null));
      if (body.containsKey("advertise_address")) {
        body.put("advertise_address", "10.0.0.5");
        body.put("node_name", "cp1");
      }
      Capability c = all.get(path.substring("/v1/".length()));
      try {
        c.run(body, true);
      } catch (io.kubeforge.worker.support.WorkerException e) {
        // e.g. no CA yet (409), no admin.conf to reach a cluster with (400 naming kubeconfig), or
        // a required field (discovery's endpoint, download-certs' key): never a documented field refused as unknown or of the wrong type
        assertThat(e.code()).as(path + ": " + e.getMessage())
            .isNotIn(io.kubeforge.worker.support.RequestFields.UNKNOWN_FIELD, "request.wrong_type");
        if (e.status() == 400) {
          assertThat(e.field()).as(path + ": " + e.getMessage())
              .isEqualTo(Map.of("/v1/discovery", "api_server_endpoint", "/v1/download-certs", "certificate_key",
                  "/v1/ca-rotate", "phase", "/v1/tls-bootstrap", "bootstrap_kubeconfig")
                  .getOrDefault(path, "kubeconfig"));
        }
      }
      body.put("not_a_documented_field", null);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> c.run(body, true)).as(path)
          .hasMessageStartingWith("not_a_documented_field: ");
    });
    Map<String, Object> options = properties(schemas.get("ClusterOptions"), schemas);
    var m = io.kubeforge.worker.config.ClusterModel.fromRequest(Map.of("advertise_address", "10.0.0.5"));
    Map<String, Object> actual = Map.of("cert_dir", m.certDir().toString(), "kubeconfig_dir", m.kubeconfigDir().toString(),
        "manifest_dir", m.manifestDir().toString(), "kubelet_config_path", m.kubeletConfigPath().toString(),
        "service_subnet", m.serviceSubnet(), "dns_domain", m.dnsDomain(), "cluster_name", m.clusterName(),
        "kubernetes_version", m.kubernetesVersion(), "image_repository", m.imageRepository(),
        "key_algorithm", m.keyAlgorithm());
    actual.forEach((field, value) ->
        assertThat(((Map<String, Object>) options.get(field)).get("default")).as(field).isEqualTo(value));
    assertThat(((Map<String, Object>) options.get("bind_port")).get("default")).isEqualTo(m.bindPort());
    assertThat(((Map<String, Object>) options.get("etcd_data_dir")).get("default")).isEqualTo(m.etcd().local().dataDir());
    for (String[] d : new String[][] {{"certificate_validity", "certificateValidity"},
        {"ca_certificate_validity", "caCertificateValidity"}, {"control_plane_component_health_check", "hc"}}) {
      java.time.Duration want = d[1].equals("hc") ? m.controlPlaneComponentHealthCheck()
          : d[1].equals("certificateValidity") ? m.certificateValidity() : m.caCertificateValidity();
      assertThat(io.kubeforge.worker.support.GoDuration.parse((String) ((Map<String, Object>) options.get(d[0])).get("default")))
          .as(d[0]).isEqualTo(want);
    }
  }

  /** Collects the properties of a request schema, following allOf and $ref. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> properties(Object schema, Map<String, Object> schemas) {
    Map<String, Object> s = (Map<String, Object>) schema;
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    if (s.containsKey("$ref")) {
      String ref = (String) s.get("$ref");
      return properties(schemas.get(ref.substring(ref.lastIndexOf('/') + 1)), schemas);
    }
    if (s.containsKey("allOf")) {
      ((List<Object>) s.get("allOf")).forEach(part -> out.putAll(properties(part, schemas)));
    }
    if (s.containsKey("properties")) {
      out.putAll((Map<String, Object>) s.get("properties"));
    }
    return out;
  }
}
