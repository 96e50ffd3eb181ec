package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.support.IpAddresses.Cidr;
import java.net.Inet4Address;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {
  @ParameterizedTest(name = "''{0}'' is not an IP literal")
  @ValueSource(strings = {"", "10.0.0", "10.0.0.0.1", "10.0.0.256", "010.0.0.1", "1.2.3.-4", "example.com",
      "localhost", "fe80::1%eth0", "[::1]", "::g", "1:2:3:4:5:6:7:8:9", " 10.0.0.1", "10.0.0.1 "})
  void refusesWhatGoRefusesWithoutResolvingNames(String text) {
    assertThat(IpAddresses.parse(text)).isEmpty();
  }

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.of("IPv4 is a dotted quad", "192.168.0.10", "192.168.0.10"),
        Arguments.of("IPv6 loopback is ::1", "0:0:0:0:0:0:0:1", "::1"),
        Arguments.of("IPv6 is lower-cased and shortened", "FD00:0:0:0:0:0:0:A", "fd00::a"),
        Arguments.of("the longest zero run is shortened", "1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        Arguments.of("a single zero group is not shortened", "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        Arguments.of("IPv4-mapped IPv6 becomes IPv4 as Go's To4", "::ffff:10.0.0.6", "10.0.0.6"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formats")
  void formatsLikeGo(String name, String in, String out) {
    assertThat(IpAddresses.format(IpAddresses.parse(in).orElseThrow())).isEqualTo(out);
  }

  @Test
  void mappedAddressesAreIpv4() {
    assertThat(IpAddresses.parse("::ffff:1.2.3.4").orElseThrow()).isInstanceOf(Inet4Address.class);
  }

  static Stream<Arguments> cidrs() {
    return Stream.of(
        Arguments.of("kubeadm's default service CIDR gives 10.96.0.1", "10.96.0.0/12", "10.96.0.1"),
        Arguments.of("host bits are cleared first", "10.96.5.7/12", "10.96.0.1"),
        Arguments.of("an IPv6 /108 gives ::1 of its network", "fd00::/108", "fd00::1"),
        Arguments.of("a /24 network", "192.168.1.0/24", "192.168.1.1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cidrs")
  void firstUsableAddressIsNetworkPlusOne(String name, String cidr, String first) {
    assertThat(IpAddresses.format(IpAddresses.indexed(Cidr.parse(cidr).orElseThrow(), 1))).isEqualTo(first);
  }

  @ParameterizedTest(name = "''{0}'' is not a CIDR")
  @ValueSource(strings = {"10.96.0.0", "10.96.0.0/", "/12", "10.96.0.0/33", "fd00::/129", "10.96.0.0/012",
      "10.96.0.0/1a", "example.com/8"})
  void refusesBadCidrs(String text) {
    assertThat(Cidr.parse(text)).isEmpty();
  }

  @Test
  void tenthAddressIsTheDnsServiceIp() {
    assertThat(IpAddresses.format(IpAddresses.indexed(Cidr.parse("10.96.0.0/12").orElseThrow(), 10)))
        .isEqualTo("10.96.0.10");
  }
}
