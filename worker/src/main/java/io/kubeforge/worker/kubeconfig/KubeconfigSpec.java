package io.kubeforge.worker.kubeconfig;

import io.kubeforge.worker.config.ClusterModel;
import java.util.List;
import java.util.function.Function;

/**
 * KubeconfigSpec describes one kubeconfig file kubeadm writes, as its {@code kubeConfigSpec}:
 * the file name, the client (user) name, the organisations of the client certificate and which
 * API server URL it points at.
 *
 * @param fileName base name in the kubeconfig directory
 * @param clientName derives the user name (the certificate CN) from the model
 * @param organizations the certificate's O values
 * @param server which endpoint URL the cluster entry uses
 */
public record KubeconfigSpec(String fileName, Function<ClusterModel, String> clientName,
                             List<String> organizations, Server server) {
  /** Server says which URL a kubeconfig points at (util/endpoint.go). */
  public enum Server {
    /** The control-plane endpoint if set, else the local endpoint. */
    CONTROL_PLANE,
    /** The local API endpoint {@code https://<advertiseAddress>:<bindPort>}. */
    LOCAL,
    /**
     * The local endpoint while kubeadm's feature gate {@code ControlPlaneKubeletLocalMode} is on
     * (beta and on by default in 1.34: init unsets controlPlaneEndpoint for kubelet.conf), else
     * the control-plane endpoint.
     */
    KUBELET
  }

  public KubeconfigSpec {
    organizations = List.copyOf(organizations);
  }
}
