package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodSchemaTest {
  private static final String VALID = """
      apiVersion: v1
      kind: Pod
      metadata:
        name: x
      spec:
        containers:
        - name: x
          image: i
          command: [x]
      """;

  @Test
  void aMinimalPodIsValid() {
    assertThat(PodSchema.violations(SafeYaml.load(VALID, "x"))).isEmpty();
  }

  @Test
  void unknownFieldsWrongTypesAndMissingRequiredFieldsAreReported() {
    String bad = VALID.replace("  name: x\nspec:", "  name: x\n  bogus: 1\nspec:\n  hostNetwork: \"yes\"")
        .replace("- name: x\n", "- image2: i\n");
    assertThat(PodSchema.violations(SafeYaml.load(bad, "x")))
        .anyMatch(e -> e.contains("metadata.bogus: unknown field"))
        .anyMatch(e -> e.contains("hostNetwork: must be a boolean"))
        .anyMatch(e -> e.contains("containers[0].name: required"));
  }

  @Test
  void aMountWithoutAVolumeAndAnUndeclaredNamedProbePortAreReported() {
    String bad = VALID + "    volumeMounts:\n    - name: v\n      mountPath: /v\n"
        + "    livenessProbe:\n      httpGet:\n        path: /\n        port: probe-port\n";
    assertThat(PodSchema.violations(SafeYaml.load(bad, "x")))
        .anyMatch(e -> e.contains("names no volume")).anyMatch(e -> e.contains("does not declare"));
  }
}
