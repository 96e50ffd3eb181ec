package io.kubeforge.worker.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Golden;
import io.kubeforge.worker.config.PodSchema;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestsPhaseTest {
  private final ManifestsPhase phase = new ManifestsPhase(Fixtures.BARE_HOST, Fixtures.CLOCK);

  static Stream<Arguments> manifests() {
    List<Arguments> out = new ArrayList<>();
    for (String cluster : List.of("single-stack", "dual-stack")) {
      for (String file : List.of("etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml")) {
        out.add(Arguments.of(cluster + "/" + file + " matches its golden file and is a valid Pod", cluster, file));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("manifests")
  void renderedManifestMatchesGoldenAndPodSchema(String name, String cluster, String file) {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.cluster(cluster));
    String yaml = phase.render(m, new ArrayList<>()).get(file);
    Golden.assertMatches(cluster + "/" + file, yaml);
    assertThat(PodSchema.violations(SafeYaml.load(yaml, "manifest"))).isEmpty();
  }

  @ParameterizedTest(name = "rendering the {0} cluster twice gives byte-identical manifests")
  @ValueSource(strings = {"single-stack", "dual-stack"})
  void renderingIsDeterministic(String cluster) {
    ClusterModel m = ClusterModel.fromRequest(Fixtures.cluster(cluster));
    assertThat(phase.render(m, new ArrayList<>())).isEqualTo(phase.render(ClusterModel.fromRequest(Fixtures.cluster(cluster)), new ArrayList<>()));
  }

  @Test
  void firstRunCreatesPrivateFilesInAPrivateDirectoryAndSecondRunKeepsThem(@TempDir Path root) throws Exception {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    PhaseResult first = phase.run(body, false);
    assertThat(first.changed()).isTrue();
    Path dir = root.resolve("etc/manifests");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("kube-apiserver.yaml"))))
        .isEqualTo("rw-------");
    PhaseResult second = phase.run(body, false);
    assertThat(second.changed()).isFalse();
    assertThat(second.diff()).isNull();
    assertThat(actions(second)).containsOnly("kept");
  }

  @Test
  void dryRunReportsWhatWouldChangeAndWritesNothing(@TempDir Path root) {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    PhaseResult r = phase.run(body, true);
    assertThat(r.changed()).isTrue();
    assertThat(actions(r)).containsOnly("created");
    assertThat(r.diff().get("after").toString()).contains("kube-apiserver");
    assertThat(root.resolve("etc/manifests")).doesNotExist();
  }

  @Test
  void theCapabilityEntryPointTakesDryRunFromTheEnvelope(@TempDir Path root) {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    assertThat(phase.run(body, true).changed()).isTrue();
    assertThat(root.resolve("etc/manifests")).doesNotExist();
    assertThat(phase.run(body, false).changed()).isTrue();
    assertThat(root.resolve("etc/manifests/etcd.yaml")).exists();
  }

  @Test
  void aManifestThatOnlyDiffersInFormattingIsKept(@TempDir Path root) throws Exception {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    phase.run(body, false);
    Path file = root.resolve("etc/manifests/kube-scheduler.yaml");
    // same object, other layout: flow style and different key order
    Object parsed = SafeYaml.load(Files.readString(file), "x");
    Files.writeString(file, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(parsed));
    PhaseResult r = phase.run(body, false);
    assertThat(r.changed()).isFalse();
  }

  @Test
  void aChangedOptionUpdatesTheManifestAndBacksUpTheOldOneOutsideTheManifestDirectory(@TempDir Path root)
      throws Exception {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    phase.run(body, false);
    body.put("scheduler_extra_args", Map.of("v", "4"));
    PhaseResult r = phase.run(body, false);
    assertThat(r.changed()).isTrue();
    @SuppressWarnings("unchecked")
    List<String> backups = (List<String>) r.result().get("backups");
    assertThat(backups).hasSize(1);
    assertThat(backups.get(0)).startsWith(root.resolve("etc/tmp/kubeforge-backup-manifests").toString())
        .endsWith("kube-scheduler.yaml.20261123T120000Z.bak");
    assertThat(Files.readString(Path.of(backups.get(0)))).doesNotContain("--v=4");
    assertThat(Files.readString(root.resolve("etc/manifests/kube-scheduler.yaml"))).contains("- --v=4");
    try (Stream<Path> files = Files.list(root.resolve("etc/manifests"))) {
      assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".yaml"));
    }
    assertThat(r.diff().get("before").toString()).contains("kube-scheduler");
  }

  @Test
  void aSymlinkedManifestDirectoryIsRefusedAndNothingIsWrittenThroughIt(@TempDir Path root) throws Exception {
    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    Files.createDirectories(root.resolve("etc"));
    Files.createSymbolicLink(root.resolve("etc/manifests"), elsewhere);
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> phase.run(body, false))
        .isInstanceOfSatisfying(io.kubeforge.worker.support.WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(409);
          assertThat(e.code()).isEqualTo("manifests.symlink_in_path");
        });
    try (Stream<Path> files = Files.list(elsewhere)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void externalEtcdWritesNoEtcdManifest(@TempDir Path root) throws Exception {
    Map<String, Object> body = Fixtures.under(Fixtures.singleStack(), root);
    body.put("etcd", "external");
    body.put("etcd_external_endpoints", List.of("https://10.0.0.5:2379"));
    phase.run(body, false);
    assertThat(root.resolve("etc/manifests/etcd.yaml")).doesNotExist();
    assertThat(root.resolve("etc/manifests/kube-apiserver.yaml")).exists();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> actions(PhaseResult r) {
    List<Object> out = new ArrayList<>();
    for (Object m : (List<Object>) r.result().get("manifests")) {
      out.add(((Map<String, Object>) m).get("action"));
    }
    return out;
  }

  static Map<String, Object> copy(Map<String, Object> m) {
    return new HashMap<>(m);
  }

  static Stream<Arguments> badEtcdJoins() {
    return Stream.of(
        Arguments.of("not an object", "etcd_join", "yes"),
        Arguments.of("endpoints that are not a list", "etcd_join.endpoints", Map.of("endpoints", "https://10.0.0.1:2379")),
        Arguments.of("an empty endpoint list", "etcd_join.endpoints", Map.of("endpoints", List.of())),
        Arguments.of("a plain-HTTP endpoint", "etcd_join.endpoints[0]", Map.of("endpoints", List.of("http://10.0.0.1:2379"))),
        Arguments.of("an endpoint without a port", "etcd_join.endpoints[1]",
            Map.of("endpoints", List.of("https://10.0.0.1:2379", "https://10.0.0.2"))),
        Arguments.of("an endpoint with a path", "etcd_join.endpoints[0]", Map.of("endpoints", List.of("https://10.0.0.1:2379/v3"))),
        Arguments.of("a number as endpoint", "etcd_join.endpoints[0]", Map.of("endpoints", List.of(2379))),
        Arguments.of("a zero timeout", "etcd_join.timeout", Map.of("endpoints", List.of("https://10.0.0.1:2379"), "timeout", 0)),
        Arguments.of("a fractional timeout", "etcd_join.timeout", Map.of("endpoints", List.of("https://10.0.0.1:2379"), "timeout", 1.5)),
        Arguments.of("an unknown field", "etcd_join.peer", Map.of("endpoints", List.of("https://10.0.0.1:2379"), "peer", "x")));
  }

  @ParameterizedTest(name = "etcd_join with {0} is a 400 naming {1}, and nothing is written")
  @MethodSource("badEtcdJoins")
  void aBadEtcdJoinIsRefusedNamingTheField(String what, String field, Object value, @TempDir Path root) {
    Map<String, Object> body = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    body.put("etcd_join", value);
    assertThatThrownBy(() -> phase.run(body, false)).isInstanceOf(WorkerException.class)
        .satisfies(e -> {
          assertThat(((WorkerException) e).status()).isEqualTo(400);
          assertThat(((WorkerException) e).field()).isEqualTo(field);
        });
    assertThat(root.resolve("etc/manifests")).doesNotExist();
  }

  @Test
  void etcdJoinForExternalEtcdIsRefused(@TempDir Path root) {
    Map<String, Object> body = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    body.put("etcd_external_endpoints", List.of("https://10.0.0.9:2379"));
    body.put("etcd_join", Map.of("endpoints", List.of("https://10.0.0.1:2379")));
    assertThatThrownBy(() -> phase.run(body, false)).isInstanceOf(WorkerException.class)
        .hasMessageContaining("external etcd").satisfies(e -> assertThat(((WorkerException) e).field()).isEqualTo("etcd_join"));
  }

  @Test
  void etcdJoinWithoutEndpointsNorAnAdminConfToReadTheEtcdPodsWithIsAConflictNamingEndpointsAndWritesNothing(
      @TempDir Path root) {
    Map<String, Object> body = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    body.put("etcd_join", Map.of("timeout", 1));
    assertThatThrownBy(() -> phase.run(body, false)).isInstanceOf(WorkerException.class)
        .hasMessageContaining("admin.conf")
        .satisfies(e -> {
          assertThat(((WorkerException) e).status()).isEqualTo(409);
          assertThat(((WorkerException) e).field()).isEqualTo("etcd_join.endpoints");
        });
    assertThat(root.resolve("etc/manifests")).doesNotExist();
  }

  @Test
  void etcdJoinWithoutTheHealthcheckClientCertificateIsAConflictNamingCertDirAndWritesNothing(@TempDir Path root) {
    Map<String, Object> body = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    body.put("etcd_join", Map.of("endpoints", List.of("https://10.0.0.1:2379"), "timeout", 1));
    assertThatThrownBy(() -> phase.run(body, false)).isInstanceOf(WorkerException.class)
        .hasMessageContaining("etcd/ca.crt")
        .satisfies(e -> {
          assertThat(((WorkerException) e).status()).isEqualTo(409);
          assertThat(((WorkerException) e).field()).isEqualTo("cert_dir");
        });
    assertThat(root.resolve("etc/manifests")).doesNotExist();
  }

  @Test
  void aDryRunOfEtcdJoinBeforeTheClientCertificateExistsSaysWhatWouldHappenAndWritesNothing(@TempDir Path root) {
    Map<String, Object> body = new HashMap<>(Fixtures.under(Fixtures.singleStack(), root));
    body.put("etcd_join", Map.of("endpoints", List.of("https://10.0.0.1:2379")));
    PhaseResult r = phase.run(body, true);
    assertThat(r.changed()).isTrue();
    assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("healthcheck-client.crt").contains("would be added"));
    @SuppressWarnings("unchecked")
    Map<String, Object> member = (Map<String, Object>) r.result().get("etcd_member");
    assertThat(member).containsEntry("action", "added").containsEntry("id", null)
        .containsEntry("initial_cluster", "cp-1=https://192.168.10.11:2380");
    assertThat(root.resolve("etc/manifests")).doesNotExist();
  }
}
