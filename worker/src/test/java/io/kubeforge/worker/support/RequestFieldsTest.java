package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestFieldsTest {
  private static RequestFields of(Map<String, Object> body) {
    return RequestFields.of(body, Set.of("a", "b", "c"));
  }

  @Test
  void theFirstUnknownFieldInSortedOrderIsReported() {
    assertThatThrownBy(() -> of(Map.of("z", 1, "y", 2, "a", 3))).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.code()).isEqualTo("request.unknown_field");
      assertThat(e.field()).isEqualTo("y");
      assertThat(e.getMessage()).isEqualTo("y: unknown field; allowed fields are a, b, c");
    });
  }

  @Test
  void nullAndAbsentAreTheSame() {
    Map<String, Object> body = new HashMap<>();
    body.put("a", null);
    RequestFields f = of(body);
    assertThat(f.string("a")).isEmpty();
    assertThat(f.bool("a", true)).isTrue();
    assertThat(f.integer("a", 7)).isEqualTo(7);
    assertThat(f.stringList("a")).isEmpty();
    assertThat(RequestFields.of(null, Set.of()).string("a")).isEmpty();
  }

  @Test
  void wrongTypesNameTheJsonTypeSeen() {
    RequestFields f = of(Map.of("a", List.of(), "b", Map.of(), "c", 1.5));
    assertThatThrownBy(() -> f.string("a")).hasMessage("a: must be a string, got a list");
    assertThatThrownBy(() -> f.bool("b", false)).hasMessage("b: must be a boolean, got an object");
    assertThatThrownBy(() -> f.integer("c", 0)).hasMessage("c: must be an integer, got a number");
  }

  @Test
  void pathsMustBeAbsoluteWithoutDotDot() {
    assertThat(of(Map.of("a", "/etc//kubernetes/./pki/")).absolutePath("a", "/x", "t.p")).isEqualTo(Path.of("/etc/kubernetes/pki"));
    assertThatThrownBy(() -> of(Map.of("a", "pki")).absolutePath("a", "/x", "t.p")).hasMessageContaining("absolute");
    assertThatThrownBy(() -> of(Map.of("a", "/a/../b")).absolutePath("a", "/x", "t.p")).hasMessageContaining("'..'");
    assertThatThrownBy(() -> of(Map.of("a", "/a\0b")).absolutePath("a", "/x", "t.p")).isInstanceOf(WorkerException.class);
  }

  @Test
  void durationsArePositiveAndBounded() {
    assertThat(of(Map.of("a", "1h30m")).positiveDuration("a", "1h", Duration.ofHours(2), "t.d"))
        .isEqualTo(Duration.ofMinutes(90));
    assertThatThrownBy(() -> of(Map.of("a", "3h")).positiveDuration("a", "1h", Duration.ofHours(2), "t.d"))
        .hasMessage("a: '3h' is longer than the maximum 2h0m0s");
  }
}
