package io.kubeforge.worker.certinfo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ShortHumanDurationTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("more than a second in the past is invalid", Duration.ofMillis(-2001), "<invalid>"),
        Arguments.of("exactly two seconds in the past is invalid", Duration.ofSeconds(-2), "<invalid>"),
        Arguments.of("a second and a half in the past counts as now", Duration.ofMillis(-1500), "0s"),
        Arguments.of("zero is 0s", Duration.ZERO, "0s"),
        Arguments.of("59.9 seconds truncate to 59s", Duration.ofMillis(59_900), "59s"),
        Arguments.of("one minute is 1m", Duration.ofSeconds(60), "1m"),
        Arguments.of("59 minutes 59 seconds is 59m", Duration.ofSeconds(3599), "59m"),
        Arguments.of("23 hours 59 minutes is 23h", Duration.ofMinutes(24 * 60 - 1), "23h"),
        Arguments.of("one day is 1d", Duration.ofDays(1), "1d"),
        Arguments.of("364 days is 364d", Duration.ofDays(364), "364d"),
        Arguments.of("365 days is 1y", Duration.ofDays(365), "1y"),
        Arguments.of("ten years of 365 days minus 5 minutes is 9y", Duration.ofDays(3650).minusMinutes(5), "9y"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void formatsLikeKubernetesShortHumanDuration(String name, Duration d, String expected) {
    assertThat(ShortHumanDuration.format(d)).isEqualTo(expected);
  }
}
