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
}
