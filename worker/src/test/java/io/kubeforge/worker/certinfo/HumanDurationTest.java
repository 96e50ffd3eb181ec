package io.kubeforge.worker.certinfo;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The cases of apimachinery's duration_test.go TestHumanDuration, plus kubeadm's usual lifetimes. */
class HumanDurationTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("more than a second in the past is invalid", Duration.ofMillis(-2001), "<invalid>"),
        Arguments.of("exactly two seconds in the past is invalid", Duration.ofSeconds(-2), "<invalid>"),
        Arguments.of("a second and a half in the past counts as now", Duration.ofMillis(-1500), "0s"),
        Arguments.of("zero is 0s", Duration.ZERO, "0s"),
        Arguments.of("one second is 1s", Duration.ofSeconds(1), "1s"),
        Arguments.of("70 seconds stay seconds below two minutes", Duration.ofSeconds(70), "70s"),
        Arguments.of("two minutes are 2m", Duration.ofSeconds(120), "2m"),
        Arguments.of("five minutes and a second are 5m1s", Duration.ofSeconds(301), "5m1s"),
        Arguments.of("two hours are 120m below three hours", Duration.ofHours(2), "120m"),
        Arguments.of("three hours are 3h", Duration.ofHours(3), "3h"),
        Arguments.of("five hours and a minute are 5h1m", Duration.ofMinutes(301), "5h1m"),
        Arguments.of("23 hours 59 minutes are 23h", Duration.ofMinutes(24 * 60 - 1), "23h"),
        Arguments.of("47 hours are 47h", Duration.ofHours(47), "47h"),
        Arguments.of("two days are 2d", Duration.ofDays(2), "2d"),
        Arguments.of("three days and four hours are 3d4h", Duration.ofHours(76), "3d4h"),
        Arguments.of("364 days are 364d", Duration.ofDays(364), "364d"),
        Arguments.of("365 days are 365d below two years", Duration.ofDays(365), "365d"),
        Arguments.of("three years and a day are 3y1d", Duration.ofDays(3 * 365 + 1), "3y1d"),
        Arguments.of("five years are 5y", Duration.ofDays(5 * 365), "5y"),
        Arguments.of("ten years of 365 days minus 5 minutes are 9y", Duration.ofDays(3650).minusMinutes(5), "9y"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void formatsLikeKubernetesHumanDuration(String name, Duration d, String expected) {
    assertThat(HumanDuration.format(d)).isEqualTo(expected);
  }
}
