package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {
  @ParameterizedTest(name = "\"{0}\" is {1} seconds")
  @CsvSource({"8760h, 31536000", "87600h, 315360000", "1h30m, 5400", "90m, 5400", "1.5h, 5400",
      "45s, 45", "0, 0", "+2m, 120", "-1h, -3600", "876000h, 3153600000", "1h0m0s, 3600", "1500ms, 1"})
  void goDurationsParseAsGoParsesThem(String text, long seconds) {
    assertThat(GoDuration.parse(text).getSeconds()).isEqualTo(seconds);
  }

  @ParameterizedTest(name = "\"{0}\" is refused")
  @ValueSource(strings = {"", "1", "1d", "h", "1h ", " 1h", "1y", "1h-30m", "--1h", "1.2.3h", "9999999999999999h"})
  void malformedDurationsAreRefused(String text) {
    assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0} seconds print as \"{1}\"")
  @CsvSource({"31536000, 8760h0m0s", "90, 1m30s", "0, 0s", "5, 5s", "3600, 1h0m0s"})
  void durationsFormatAsGoPrintsThem(long seconds, String text) {
    assertThat(GoDuration.format(Duration.ofSeconds(seconds))).isEqualTo(text);
  }
}
