package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KubeYamlTest {
  static Stream<Arguments> scalars() {
    return Stream.of(
        Arguments.of("a flag stays plain", "--advertise-address=10.0.0.1", "v: --advertise-address=10.0.0.1\n"),
        Arguments.of("an empty string is double-quoted", "", "v: \"\"\n"),
        Arguments.of("a numeric string is double-quoted", "4", "v: \"4\"\n"),
        Arguments.of("a YAML 1.1 boolean word is double-quoted", "yes", "v: \"yes\"\n"),
        Arguments.of("a float-looking string is double-quoted", "1.5", "v: \"1.5\"\n"),
        Arguments.of("a sexagesimal-looking string is double-quoted", "1:20", "v: \"1:20\"\n"),
        Arguments.of("a date is double-quoted", "2026-11-23", "v: \"2026-11-23\"\n"),
        Arguments.of("an IPv4 host:port stays plain", "10.0.0.1:6443", "v: 10.0.0.1:6443\n"),
        Arguments.of("a bracketed IPv6 endpoint is single-quoted", "[fd00::1]:6443", "v: '[fd00::1]:6443'\n"),
        Arguments.of("an IPv6 loopback stays plain", "::1", "v: ::1\n"),
        Arguments.of("a string starting with an asterisk is single-quoted", "*,bootstrapsigner", "v: '*,bootstrapsigner'\n"),
        Arguments.of("a colon followed by a space forces quotes", "a: b", "v: 'a: b'\n"),
        Arguments.of("a single quote inside single quotes is doubled", "'x' y", "v: '''x'' y'\n"),
        Arguments.of("a trailing space forces quotes", "x ", "v: 'x '\n"),
        Arguments.of("a control character is escaped in double quotes", "a\u0007b", "v: \"a\\ab\"\n"),
        Arguments.of("a multi-line string becomes a literal block", "a\nb\n", "v: |\n  a\n  b\n"),
        Arguments.of("a literal without a final newline strips it", "a\nb", "v: |-\n  a\n  b\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scalars")
  void scalarsAreQuotedAsGoYamlV2QuotesThem(String name, String value, String expected) {
    assertThat(KubeYaml.render(Map.of("v", value))).isEqualTo(expected);
  }

  @Test
  void keysAreSortedWithGoYamlsNaturalOrderNonLettersFirstAndDigitRunsNumerically() {
    List<String> keys = new ArrayList<>(List.of("b", "a10", "a2", "A", "a-b", "ab", "_x"));
    keys.sort(KubeYaml::compareKeys);
    assertThat(keys).containsExactly("_x", "A", "a-b", "a2", "a10", "ab", "b");
  }

  @Test
  void keysThatGoYamlWouldOrderInACycleGetOneConsistentOrder() {
    // go-yaml: a01 < a0a (letters last), a0a < a1 (0 < 1), a1 < a01 (shorter run first)
    List<String> keys = new ArrayList<>(List.of("a1", "a0a", "a01"));
    keys.sort(KubeYaml::compareKeys);
    assertThat(keys).containsExactly("a0a", "a1", "a01");
    assertThat(KubeYaml.render(Map.of("a1", 1, "a0a", 2, "a01", 3))).isEqualTo("a0a: 2\na1: 1\na01: 3\n");
  }

  @Test
  void anyRandomSetOfKeysSortsWithoutBreakingTheSortContract() {
    java.util.Random random = new java.util.Random(12);
    String alphabet = "ab01-._9Z";
    for (int round = 0; round < 200; round++) {
      List<String> keys = new ArrayList<>();
      for (int k = 0; k < 64; k++) {
        StringBuilder key = new StringBuilder();
        for (int n = 1 + random.nextInt(5); n > 0; n--) {
          key.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        keys.add(key.toString());
      }
      keys.sort(KubeYaml::compareKeys);
      for (int x = 0; x < keys.size(); x++) {
        for (int y = x; y < keys.size(); y++) {
          assertThat(Integer.signum(KubeYaml.compareKeys(keys.get(x), keys.get(y))))
              .as("%s vs %s", keys.get(x), keys.get(y))
              .isEqualTo(keys.get(x).equals(keys.get(y)) ? 0 : -1);
        }
      }
    }
  }

  @Test
  void sequencesInMappingsAreNotIndentedAndEmptyCollectionsAreInline() {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("spec", Map.of("containers", List.of(Map.of("name", "x", "command", List.of("a", "b")))));
    tree.put("status", Map.of());
    tree.put("list", List.of());
    assertThat(KubeYaml.render(tree)).isEqualTo("""
        list: []
        spec:
          containers:
          - command:
            - a
            - b
            name: x
        status: {}
        """);
  }

  @Test
  void longPlainScalarsFoldAtASpacePastColumnEighty() {
    String words = "word ".repeat(30).trim();
    String out = KubeYaml.render(Map.of("key", words));
    assertThat(out.lines().count()).isGreaterThan(1);
    assertThat(out.lines().skip(1)).allMatch(l -> l.startsWith("  word"));
    assertThat(SafeYaml.load(out, "x")).isEqualTo(Map.of("key", words));
  }

  @Test
  void everyQuotedFormReadsBackAsTheSameString() {
    List<String> samples = List.of("", "4", "yes", "[fd00::1]:6443", "a: b", "'x' y", "x ", "a\u0007b", "a\nb\n",
        "a\nb", " lead", "tab\there", "#comment", "- dash", "null", "~", "0x1F", "1e3", "é ü");
    for (String s : samples) {
      assertThat(SafeYaml.load(KubeYaml.render(Map.of("v", s)), "x")).as(s).isEqualTo(Map.of("v", s));
    }
  }
}
