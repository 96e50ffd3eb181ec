package io.kubeforge.worker.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Golden;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EncryptionConfigPhaseTest {
  /** Key n is 32 bytes of value n: predictable, and visibly not random. */
  static Supplier<byte[]> fixedKeys() {
    AtomicInteger n = new AtomicInteger(1);
    return () -> {
      byte[] k = new byte[32];
      Arrays.fill(k, (byte) n.getAndIncrement());
      return k;
    };
  }

  private static EncryptionConfigPhase phase(Clock clock) {
    return new EncryptionConfigPhase(fixedKeys(), clock);
  }

  private static Map<String, Object> request(Path root, String provider) {
    Map<String, Object> body = new HashMap<>();
    body.put("encryption_config_path", root.resolve("enc/encryption-config.yaml").toString());
    body.put("provider", provider);
    return body;
  }

  @ParameterizedTest(name = "the {0} reference cluster gets the golden configuration (default provider secretbox), mode 0600")
  @ValueSource(strings = {"single-stack", "dual-stack"})
  void createsTheGoldenConfiguration(String cluster, @TempDir Path root) throws Exception {
    Map<String, Object> body = Fixtures.under(Fixtures.cluster(cluster), root);
    body.put("encryption_config_path", root.resolve("enc/encryption-config.yaml").toString());
    PhaseResult r = phase(Fixtures.CLOCK).run(body, false);
    assertThat(r.changed()).isTrue();
    Path file = root.resolve("enc/encryption-config.yaml");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
    Golden.assertMatches(cluster + "/encryption-config.yaml", Files.readString(file));
    assertThat(r.result().get("active_key")).isEqualTo("key-20261123T120000Z");
  }

  @ParameterizedTest(name = "provider {0} is written first with a 32-byte key, identity last, and kept on the next run")
  @ValueSource(strings = {"aescbc", "aesgcm", "secretbox"})
  void eachProviderIsCreatedThenKept(String provider, @TempDir Path root) throws Exception {
    phase(Fixtures.CLOCK).run(request(root, provider), false);
    Map<?, ?> doc = (Map<?, ?>) SafeYaml.load(Files.readString(root.resolve("enc/encryption-config.yaml")), "x");
    List<?> providers = (List<?>) ((Map<?, ?>) ((List<?>) doc.get("resources")).get(0)).get("providers");
    Map<?, ?> first = (Map<?, ?>) ((Map<?, ?>) providers.get(0)).get(provider);
    String secret = (String) ((Map<?, ?>) ((List<?>) first.get("keys")).get(0)).get("secret");
    assertThat(java.util.Base64.getDecoder().decode(secret)).hasSize(32);
    assertThat(((Map<?, ?>) providers.get(providers.size() - 1)).containsKey("identity")).isTrue();
    PhaseResult again = phase(Fixtures.CLOCK).run(request(root, provider), false);
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("action")).isEqualTo("kept");
  }

  @Test
  void rotationPutsANewKeyFirstAndKeepsTheOldOneUntilItIsRetired(@TempDir Path root) throws Exception {
    phase(Fixtures.CLOCK).run(request(root, "aescbc"), false);
    Clock later = Clock.offset(Fixtures.CLOCK, Duration.ofDays(30));
    Map<String, Object> rotate = request(root, "aescbc");
    rotate.put("rotate", true);
    PhaseResult r = phase(later).run(rotate, false);
    assertThat(r.result().get("action")).isEqualTo("rotated");
    assertThat(r.result().get("active_key")).isEqualTo("key-20261223T120000Z");
    assertThat(names(r)).containsExactly("key-20261223T120000Z", "key-20261123T120000Z");
    assertThat(r.result().get("backups").toString()).contains("encryption-config.yaml.20261223T120000Z.bak");

    Map<String, Object> retire = request(root, "aescbc");
    retire.put("retire_keys", List.of("key-20261123T120000Z"));
    PhaseResult retired = phase(later).run(retire, false);
    assertThat(retired.changed()).isTrue();
    assertThat(names(retired)).containsExactly("key-20261223T120000Z");
    PhaseResult again = phase(later).run(retire, false);
    assertThat(again.changed()).isFalse();
    assertThat(again.warnings()).anyMatch(w -> w.contains("already retired"));
  }

  @Test
  void theActiveKeyCanNotBeRetired(@TempDir Path root) {
    phase(Fixtures.CLOCK).run(request(root, "aescbc"), false);
    Map<String, Object> retire = request(root, "aescbc");
    retire.put("retire_keys", List.of("key-20261123T120000Z"));
    assertThatThrownBy(() -> phase(Fixtures.CLOCK).run(retire, false)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.code()).isEqualTo("encryption.retire_active");
      assertThat(e.field()).isEqualTo("retire_keys[0]");
    });
  }

  @Test
  void switchingProviderPutsTheNewOneFirstAndKeepsTheOldForDecryption(@TempDir Path root) {
    phase(Fixtures.CLOCK).run(request(root, "aescbc"), false);
    PhaseResult r = phase(Clock.offset(Fixtures.CLOCK, Duration.ofHours(1))).run(request(root, "secretbox"), false);
    assertThat(r.result().get("action")).isEqualTo("updated");
    assertThat(r.result().get("provider")).isEqualTo("secretbox");
    assertThat(r.result().get("keys").toString()).contains("provider=secretbox").contains("provider=aescbc");
  }

  @Test
  void resultsAndDiffsNameKeysButNeverShowThem(@TempDir Path root) {
    PhaseResult r = phase(Fixtures.CLOCK).run(request(root, "aescbc"), false);
    String secret = java.util.Base64.getEncoder().encodeToString(fixedKeys().get());
    assertThat(r.result().toString()).doesNotContain(secret);
    assertThat(r.diff().toString()).doesNotContain(secret).contains("<redacted>").contains("key-20261123T120000Z");
  }

  @Test
  void theCapabilityEntryPointTakesDryRunFromTheEnvelope(@TempDir Path root) {
    assertThat(phase(Fixtures.CLOCK).run(request(root, "aescbc"), true).changed()).isTrue();
    assertThat(root.resolve("enc/encryption-config.yaml")).doesNotExist();
    assertThat(phase(Fixtures.CLOCK).run(request(root, "aescbc"), false).changed()).isTrue();
    assertThat(root.resolve("enc/encryption-config.yaml")).exists();
  }

  @Test
  void withoutAPathTheFileGoesUnderTheKubeconfigDirectory(@TempDir Path root) {
    Map<String, Object> body = Map.of("kubeconfig_dir", root.toString());
    PhaseResult r = phase(Fixtures.CLOCK).run(body, false);
    assertThat(r.result().get("path")).isEqualTo(root.resolve("encryption/encryption-config.yaml").toString());
  }

  @Test
  void dryRunWritesNothing(@TempDir Path root) {
    Map<String, Object> body = request(root, "aesgcm");
    assertThat(phase(Fixtures.CLOCK).run(body, true).changed()).isTrue();
    assertThat(root.resolve("enc/encryption-config.yaml")).doesNotExist();
  }

  @Test
  void aFileItDoesNotUnderstandIsNeverRewritten(@TempDir Path root) throws Exception {
    Path file = root.resolve("enc/encryption-config.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
        + "- resources: [configmaps]\n  providers: [{identity: {}}]\n");
    assertThatThrownBy(() -> phase(Fixtures.CLOCK).run(request(root, "aescbc"), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("encryption.unrecognised"));
    assertThat(Files.readString(file)).contains("configmaps");
  }

  @Test
  void anUnknownProviderIsBadInput(@TempDir Path root) {
    assertThatThrownBy(() -> phase(Fixtures.CLOCK).run(request(root, "kms"), false))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("provider"));
  }

  @Test
  void twoRotationsInOneSecondGetDistinctKeyNames(@TempDir Path root) {
    Clock fixed = Clock.fixed(Fixtures.NOW, ZoneOffset.UTC);
    phase(fixed).run(request(root, "aescbc"), false);
    Map<String, Object> rotate = request(root, "aescbc");
    rotate.put("rotate", true);
    PhaseResult r = phase(fixed).run(rotate, false);
    assertThat(names(r)).containsExactly("key-20261123T120000Z-2", "key-20261123T120000Z");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> names(PhaseResult r) {
    return ((List<Map<String, Object>>) r.result().get("keys")).stream().map(k -> k.get("name")).toList();
  }
}
