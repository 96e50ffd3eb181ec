package io.kubeforge.worker.config;

/**
 * EnvVar is one environment variable of a static Pod container (kubeadm's {@code extraEnvs}).
 *
 * @param name the variable name
 * @param value its literal value
 */
public record EnvVar(String name, String value) {}
