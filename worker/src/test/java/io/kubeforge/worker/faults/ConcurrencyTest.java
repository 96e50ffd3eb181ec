package io.kubeforge.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.http.WorkerServer;
import io.kubeforge.worker.pki.Pem;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrency: 50 identical calls at once to one worker over real HTTP, and two worker JVMs
 * with different homes, on one empty tree, for every phase. Each time: one CA, one consistent
 * tree, and every answer reports what is on disk (the same {@code ca_cert_hash}, exactly one
 * {@code created} per file, every other answer {@code kept}).
 */
class ConcurrencyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final int CALLS = 50;

  @TempDir
  Path tmp;

  /** Returns name → action of every file an answer reports. */
  @SuppressWarnings("unchecked")
  static Map<String, String> actions(Map<String, Object> answer) {
    Map<String, String> out = new TreeMap<>();
    Map<String, Object> result = (Map<String, Object>) answer.get("result");
    String phase = String.valueOf(answer.get("phase"));
    for (String list : List.of("certificates", "kubeconfigs", "manifests", "files")) {
      if (result.get(list) instanceof List<?> l) {
        for (Object o : l) {
          Map<String, Object> e = (Map<String, Object>) o;
          out.put(phase + ":" + e.get("name"), String.valueOf(e.get("action")));
        }
      }
    }
    if (result.get("service_account_key") instanceof Map<?, ?> sa) {
      out.put(phase + ":sa", String.valueOf(sa.get("action")));
    }
    if (phase.equals("encryption-config")) {
      out.put(phase + ":" + result.get("path"), String.valueOf(result.get("action")));
    }
    return out;
  }

  /** Asserts that across the answers every file was created exactly once and kept otherwise. */
  static void exactlyOneCreatedPerFile(List<Map<String, Object>> answers) {
    Map<String, Integer> created = new TreeMap<>();
    for (Map<String, Object> a : answers) {
      assertThat(a).as("answer %s", a).doesNotContainKey("code");
      actions(a).forEach((file, action) -> {
        assertThat(action).as(file).isIn("created", "kept");
        created.merge(file, action.equals("created") ? 1 : 0, Integer::sum);
      });
    }
    assertThat(created).isNotEmpty();
    assertThat(created).allSatisfy((file, n) -> assertThat(n).as("answers that created %s", file).isEqualTo(1));
  }

  @SuppressWarnings("unchecked")
  static void oneCa(List<Map<String, Object>> answers, Path base) throws Exception {
    byte[] spki = Pem.parseCertificates(Files.readAllBytes(base.resolve("pki/ca.crt"))).get(0).getPublicKey().getEncoded();
    String onDisk = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
    List<Object> hashes = answers.stream().filter(a -> a.get("phase").equals("pki"))
        .map(a -> ((Map<String, Object>) a.get("result")).get("ca_cert_hash")).distinct().toList();
    assertThat(hashes).containsExactly(onDisk);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  @DisplayName("fifty identical calls at once to one worker make one tree, and each answer reports it")
  @SuppressWarnings("unchecked")
  void fiftyIdenticalCallsToOneWorkerMakeOneTree() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = new WorkerServer(vertx, TOKEN, Capabilities.all(), "test").listen("127.0.0.1", 0).await().actualPort();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      Path base = tmp.resolve("tree");
      List<Map<String, Object>> all = new ArrayList<>();
      for (String phase : TreeDriver.PHASES) {
        String body = JSON.writeValueAsString(TreeDriver.body(base, false, phase));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
          calls.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/" + phase))
              .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
              .timeout(java.time.Duration.ofSeconds(150))
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<Map<String, Object>> answers = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> c : calls) {
          HttpResponse<String> r = c.get(200, TimeUnit.SECONDS);
          assertThat(r.statusCode()).as("%s: %s", phase, r.body()).isEqualTo(200);
          Map<String, Object> a = JSON.readValue(r.body(), Map.class);
          a.put("phase", phase);
          answers.add(a);
        }
        assertThat(answers.stream().filter(a -> Boolean.TRUE.equals(a.get("changed")))).as(phase).hasSize(1);
        exactlyOneCreatedPerFile(answers);
        all.addAll(answers);
      }
      oneCa(all, base);
      TreeChecks.consistent(base);
      assertThat(all.stream().filter(a -> a.get("phase").equals("encryption-config"))
          .map(a -> ((Map<String, Object>) a.get("result")).get("active_key")).distinct()).hasSize(1);
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  @DisplayName("two worker JVMs with different homes on one empty tree make one CA and one tree")
  void twoWorkerJvmsOnOneTreeMakeOneTree() throws Exception {
    int trials = Integer.getInteger("kubeforge.raceTrials", 3);
    for (int t = 0; t < trials; t++) {
      Path base = tmp.resolve("race-" + t);
      Process a = ChildJvm.start(List.of("-Duser.home=" + tmp.resolve("home-a-" + t)), TreeDriver.class, base.toString(), "first");
      Process b = ChildJvm.start(List.of("-Duser.home=" + tmp.resolve("home-b-" + t)), TreeDriver.class, base.toString(), "first");
      List<Map<String, Object>> answers = new ArrayList<>();
      for (Process p : List.of(a, b)) {
        ChildJvm.Outcome o = ChildJvm.await(p, 180);
        assertThat(o.exit()).as(o.stderr()).isZero();
        for (String line : o.lines()) {
          if (line.startsWith("{")) {
            answers.add(JSON.readValue(line, Map.class));
          }
        }
      }
      assertThat(answers).hasSize(2 * TreeDriver.PHASES.size());
      exactlyOneCreatedPerFile(answers);
      oneCa(answers, base);
      TreeChecks.consistent(base);
    }
  }
}
