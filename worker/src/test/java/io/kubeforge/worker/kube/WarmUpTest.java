package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

class WarmUpTest {
  @Test
  void theWarmUpGoesThroughTheClientsSetUpAndAHandshakeWithoutCachingAnything() {
    int cached = ClientCache.size();
    assertThatCode(WarmUp::run).doesNotThrowAnyException();
    assertThat(ClientCache.size()).isEqualTo(cached);
  }
}
