package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.net.ProxyType;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyFromEnvTest {
  @Test
  void httpsProxyIsUsedForARemoteServer() {
    var proxy = ProxyFromEnv.forServer(URI.create("https://10.0.0.1:6443"),
        Map.of("HTTPS_PROXY", "http://user:pw@proxy.example:3128")).orElseThrow();
    assertThat(proxy.getHost()).isEqualTo("proxy.example");
    assertThat(proxy.getPort()).isEqualTo(3128);
    assertThat(proxy.getType()).isEqualTo(ProxyType.HTTP);
    assertThat(proxy.getUsername()).isEqualTo("user");
    assertThat(proxy.getPassword()).isEqualTo("pw");
  }

  @Test
  void lowerCaseVariablesAndASchemelessProxyWorkAsInKubectl() {
    var proxy = ProxyFromEnv.forServer(URI.create("https://api.example:6443"),
        Map.of("https_proxy", "proxy.example:8080")).orElseThrow();
    assertThat(proxy.getHost()).isEqualTo("proxy.example");
    assertThat(proxy.getPort()).isEqualTo(8080);
  }

  @Test
  void socks5IsSupported() {
    assertThat(ProxyFromEnv.forServer(URI.create("https://10.0.0.1:6443"),
        Map.of("HTTPS_PROXY", "socks5://proxy.example")).orElseThrow().getType()).isEqualTo(ProxyType.SOCKS5);
  }

  @Test
  void httpProxyAloneIsNotUsedForHttps() {
    assertThat(ProxyFromEnv.forServer(URI.create("https://10.0.0.1:6443"), Map.of("HTTP_PROXY", "http://p:1"))).isEmpty();
  }

  @ParameterizedTest(name = "{0}:{1} with NO_PROXY={2} → proxied {3}")
  @CsvSource(delimiter = ';', value = {
      "localhost;6443;;false",
      "127.0.0.1;6443;;false",
      "::1;6443;;false",
      "10.0.0.1;6443;;true",
      "10.0.0.1;6443;*;false",
      "10.0.0.1;6443;10.0.0.0/8;false",
      "10.0.0.1;6443;10.0.0.2,192.168.0.0/16;true",
      "10.0.0.1;6443;10.0.0.1;false",
      "fd00::1;6443;fd00::/64;false",
      "api.example.com;6443;example.com;false",
      "example.com;6443;example.com;false",
      "example.com;6443;.example.com;true",
      "api.example.com;6443;.example.com;false",
      "api.example.com;6443;*.example.com;false",
      "api.example.com;6443;example.com:443;true",
      "api.example.com;6443;example.com:6443;false",
      "notexample.com;6443;example.com;true",
      "api.example.com;6443; foo.org , EXAMPLE.com ;false"})
  void noProxyMatchesAsGoDoes(String host, int port, String noProxy, boolean proxied) {
    assertThat(ProxyFromEnv.useProxy(host, port, noProxy)).isEqualTo(proxied);
  }
}
