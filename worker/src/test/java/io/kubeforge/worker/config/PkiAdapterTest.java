package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.pki.PkiOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PkiAdapterTest {
  @Test
  void theDualStackModelBecomesValidPkiOptions() {
    PkiOptions o = PkiAdapter.toPkiOptions(ClusterModel.fromRequest(Fixtures.dualStack()), true);
    assertThat(o.nodeName()).isEqualTo("cp-1");
    assertThat(o.serviceSubnets()).hasSize(2);
    assertThat(o.controlPlaneEndpoint()).isPresent();
    assertThat(o.localEtcd()).isTrue();
  }

  @Test
  void aRequestWithKubeadmConfigGoesThroughTheModelAndOneWithoutStaysThePkisOwn() {
    PkiOptions viaModel = PkiAdapter.fromRequest(Fixtures.dualStack());
    assertThat(viaModel.nodeName()).isEqualTo("cp-1");
    PkiOptions direct = PkiAdapter.fromRequest(Map.of("advertise_address", "10.0.0.1", "node_name", "n1"));
    assertThat(direct.nodeName()).isEqualTo("n1");
  }

  @Test
  void theRequestCarriesOnlyFieldsThePkiKnows() {
    Map<String, Object> body = PkiAdapter.toPkiRequest(ClusterModel.fromRequest(Fixtures.singleStack()), false);
    assertThat(body).containsEntry("certificate_validity", "8760h0m0s").containsEntry("etcd", "local")
        .doesNotContainKey("control_plane_endpoint");
  }
}
