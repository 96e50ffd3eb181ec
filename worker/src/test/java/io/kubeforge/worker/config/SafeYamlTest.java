package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.support.WorkerException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafeYamlTest {
  @Test
  void aCollectionThatHoldsItselfThroughAnAliasIsRefusedByField() {
    for (String yaml : List.of("a: &x [[*x]]\n", "&x {a: *x}\n", "a: &x [b, {c: *x}]\n")) {
      assertThatThrownBy(() -> SafeYaml.load(yaml, "kubeadm_config")).isInstanceOfSatisfying(WorkerException.class, e -> {
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.field()).isEqualTo("kubeadm_config");
        assertThat(e.getMessage()).contains("an alias refers to a collection that contains it");
      });
    }
  }

  @Test
  void aliasesThatOnlyRepeatAValueAreStillRead() {
    assertThat(SafeYaml.load("a: &x [1, 2]\nb: *x\n", "f")).isEqualTo(Map.of("a", List.of(1, 2), "b", List.of(1, 2)));
  }

  @Test
  void aScalarThatLooksLikeANumberButIsNoneIsRefusedByField() {
    // found by ExistingKubeconfigFuzzTest: SnakeYAML's float pattern matches "._", its constructor throws
    for (String yaml : List.of("._\n", "a: ._\n", "a: [-._]\n")) {
      assertThatThrownBy(() -> SafeYaml.load(yaml, "kubeconfig")).isInstanceOfSatisfying(WorkerException.class, e -> {
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.field()).isEqualTo("kubeconfig");
        assertThat(e.getMessage()).contains("looks like a number");
      });
    }
  }
}
