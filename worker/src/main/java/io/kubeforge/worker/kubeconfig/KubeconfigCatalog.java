package io.kubeforge.worker.kubeconfig;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.Endpoints;
import java.util.List;
import java.util.Optional;

/**
 * KubeconfigCatalog lists the kubeconfig files of kubeadm v1.34's {@code getKubeConfigSpecsBase}
 * as data. Adding a file means adding one entry.
 */
public final class KubeconfigCatalog {
  public static final KubeconfigSpec ADMIN = new KubeconfigSpec("admin.conf", m -> "kubernetes-admin",
      List.of("kubeadm:cluster-admins"), KubeconfigSpec.Server.CONTROL_PLANE);
  public static final KubeconfigSpec SUPER_ADMIN = new KubeconfigSpec("super-admin.conf",
      m -> "kubernetes-super-admin", List.of("system:masters"), KubeconfigSpec.Server.CONTROL_PLANE);
  public static final KubeconfigSpec KUBELET = new KubeconfigSpec("kubelet.conf",
      m -> "system:node:" + m.nodeName(), List.of("system:nodes"), KubeconfigSpec.Server.KUBELET);
  public static final KubeconfigSpec CONTROLLER_MANAGER = new KubeconfigSpec("controller-manager.conf",
      m -> "system:kube-controller-manager", List.of(), KubeconfigSpec.Server.LOCAL);
  public static final KubeconfigSpec SCHEDULER = new KubeconfigSpec("scheduler.conf",
      m -> "system:kube-scheduler", List.of(), KubeconfigSpec.Server.LOCAL);

  /** kubeadm's feature gate that points kubelet.conf at the local API server (beta, default on in 1.34). */
  public static final String CONTROL_PLANE_KUBELET_LOCAL_MODE = "ControlPlaneKubeletLocalMode";

  /** Every file, in the order kubeadm init writes them. */
  public static final List<KubeconfigSpec> ALL = List.of(ADMIN, SUPER_ADMIN, KUBELET, CONTROLLER_MANAGER, SCHEDULER);

  private KubeconfigCatalog() {}

  /**
   * Lists the files for a model: all five for init; for a JoinConfiguration (joining control
   * plane) admin.conf, controller-manager.conf and scheduler.conf, as kubeadm join (super-admin.conf
   * is init-only, kubelet.conf comes from the kubelet's TLS bootstrap).
   */
  public static List<KubeconfigSpec> forModel(ClusterModel m) {
    return m.joinConfiguration() ? List.of(ADMIN, CONTROLLER_MANAGER, SCHEDULER) : ALL;
  }

  /** Finds a spec by file name. */
  public static Optional<KubeconfigSpec> byFileName(String name) {
    return ALL.stream().filter(s -> s.fileName().equals(name)).findFirst();
  }

  /** Returns the server URL of a spec for a model. */
  public static String serverUrl(KubeconfigSpec spec, ClusterModel m) {
    return switch (spec.server()) {
      case LOCAL -> Endpoints.localUrl(m);
      case CONTROL_PLANE -> Endpoints.controlPlaneUrl(m);
      case KUBELET -> m.featureGates().getOrDefault(CONTROL_PLANE_KUBELET_LOCAL_MODE, true)
          ? Endpoints.localUrl(m) : Endpoints.controlPlaneUrl(m);
    };
  }
}
