package io.kubeforge.worker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.NodeTaint;
import io.kubeforge.worker.support.WorkerException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterBootstrapPhaseTest {
  private static final NodeTaint CP = NodeTaint.CONTROL_PLANE;
  private static final NodeTaint OTHER = new NodeTaint("example.com/gpu", "true", "NoSchedule", null);

  @Test
  void theConfiguredTaintsComeFirstThenTheNodesOwnThatAreNotAmongThem() {
    assertThat(ClusterBootstrapPhase.mergeTaints(List.of(CP), List.of(OTHER, CP))).containsExactly(CP, OTHER);
    assertThat(ClusterBootstrapPhase.mergeTaints(List.of(CP), List.of())).containsExactly(CP);
  }

  @Test
  void anEmptyTaintListKeepsTheNodesTaintsAndAddsNone() {
    assertThat(ClusterBootstrapPhase.mergeTaints(List.of(), List.of(OTHER))).containsExactly(OTHER);
    assertThat(ClusterBootstrapPhase.mergeTaints(List.of(), List.of())).isEmpty();
  }

  @Test
  void aMergedListEqualToTheNodesOwnChangesNothing() {
    List<NodeTaint> existing = List.of(CP, OTHER);
    assertThat(ClusterBootstrapPhase.mergeTaints(List.of(CP), existing)).isEqualTo(existing);
  }

  @Test
  void theSkipPhasesOptionWinsOverTheConfigsSkipPhasesAsKubeadmsFlagDoes() {
    assertThat(ClusterBootstrapPhase.skippedPhases(List.of("addon/coredns"), List.of("addon/kube-proxy")))
        .containsExactly("addon/coredns");
    assertThat(ClusterBootstrapPhase.skippedPhases(List.of(), List.of("preflight", "addon/kube-proxy", "certs/ca")))
        .containsExactly("addon/kube-proxy");
    assertThat(ClusterBootstrapPhase.skippedPhases(List.of(), List.of("addon")))
        .containsExactlyInAnyOrder("addon/coredns", "addon/kube-proxy");
  }

  @Test
  void anUnknownPhaseInTheOptionIsRefusedNamingIt() {
    assertThatThrownBy(() -> ClusterBootstrapPhase.skippedPhases(List.of("addon/coredns", "preflight"), List.of()))
        .isInstanceOfSatisfying(WorkerException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.field()).isEqualTo("skip_phases[1]");
        });
  }
}
