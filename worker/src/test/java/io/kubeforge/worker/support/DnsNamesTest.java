package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DnsNamesTest {
  @ParameterizedTest(name = "''{0}'' is an RFC 1123 subdomain")
  @ValueSource(strings = {"a", "cp-1", "kubernetes.default.svc.cluster.local", "1.example", "x--y.example"})
  void acceptsSubdomains(String name) {
    assertThat(DnsNames.isSubdomain(name)).isTrue();
  }

  @ParameterizedTest(name = "''{0}'' is not an RFC 1123 subdomain")
  @ValueSource(strings = {"", "Upper.example", "-a.example", "a-.example", "a..b", "a.", ".a", "a_b", "x!",
      "*.example.com", "a b"})
  void refusesOthers(String name) {
    assertThat(DnsNames.isSubdomain(name)).isFalse();
  }

  @ParameterizedTest(name = "''{0}'' is a wildcard")
  @ValueSource(strings = {"*.example.com", "*.a"})
  void acceptsWildcards(String name) {
    assertThat(DnsNames.isWildcard(name)).isTrue();
  }

  @ParameterizedTest(name = "''{0}'' is not a wildcard")
  @ValueSource(strings = {"*", "*.", "a.*.example", "**.example", "*example.com", "*.*.example"})
  void refusesOtherWildcards(String name) {
    assertThat(DnsNames.isWildcard(name)).isFalse();
  }

  @org.junit.jupiter.api.Test
  void limitsLabelAndNameLength() {
    assertThat(DnsNames.isSubdomain("a".repeat(63))).isTrue();
    assertThat(DnsNames.isSubdomain("a".repeat(64))).isFalse();
    assertThat(DnsNames.isSubdomain(("a".repeat(49) + ".").repeat(5) + "abc")).isTrue();
    assertThat(DnsNames.isSubdomain(("a".repeat(49) + ".").repeat(5) + "abcd")).isFalse();
  }
}
