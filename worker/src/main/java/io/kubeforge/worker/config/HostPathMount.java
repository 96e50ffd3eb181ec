package io.kubeforge.worker.config;

/**
 * HostPathMount is an extra hostPath volume of a control-plane component, kubeadm's
 * {@code HostPathMount}.
 *
 * @param name volume name (replaces a default volume of the same name)
 * @param hostPath path on the host
 * @param mountPath path in the container
 * @param readOnly whether the mount is read-only
 * @param pathType Kubernetes {@code HostPathType}, empty for "no check"
 */
public record HostPathMount(String name, String hostPath, String mountPath, boolean readOnly, String pathType) {}
