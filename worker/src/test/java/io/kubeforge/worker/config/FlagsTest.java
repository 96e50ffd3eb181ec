package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FlagsTest {
  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("defaults come out sorted by name then value",
            List.of(new Arg("b", "1"), new Arg("a", "2"), new Arg("a", "1")), List.of(),
            List.of("x", "--a=1", "--a=2", "--b=1")),
        Arguments.of("an extra flag removes every default of that name and follows the defaults",
            List.of(new Arg("v", "1"), new Arg("v", "2"), new Arg("a", "x")), List.of(new Arg("v", "4")),
            List.of("x", "--a=x", "--v=4")),
        Arguments.of("extra flags keep the user's order and repeats (kubeadm 1.34 ArgumentsToCommand)",
            List.of(new Arg("m", "1")), List.of(new Arg("z", "1"), new Arg("b", "2"), new Arg("z", "0")),
            List.of("x", "--m=1", "--z=1", "--b=2", "--z=0")),
        Arguments.of("empty values still render with an equals sign",
            List.of(new Arg("cluster-signing-key-file", "")), List.of(),
            List.of("x", "--cluster-signing-key-file=")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void mergesDefaultsAndExtraArgsAsKubeadm(String name, List<Arg> defaults, List<Arg> extra, List<String> expected) {
    assertThat(Flags.command("x", defaults, extra)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("setCases")
  void setReplacesTheFirstOccurrenceOrAppends(String name, List<Arg> start, List<Arg> expected) {
    List<Arg> args = new ArrayList<>(start);
    Flags.set(args, "k", "new");
    assertThat(args).isEqualTo(expected);
  }

  static Stream<Arguments> setCases() {
    return Stream.of(
        Arguments.of("an absent flag is appended", List.of(new Arg("a", "1")), List.of(new Arg("a", "1"), new Arg("k", "new"))),
        Arguments.of("a present flag gets the new value in place", List.of(new Arg("k", "old"), new Arg("a", "1")),
            List.of(new Arg("k", "new"), new Arg("a", "1"))));
  }
}
