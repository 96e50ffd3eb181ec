package io.kubeforge.worker.config;

/**
 * Arg is one command-line flag of a control-plane component, kubeadm v1beta4's {@code Arg}:
 * rendered as {@code --name=value}. A name may repeat.
 *
 * @param name the flag name without dashes
 * @param value the value, possibly empty
 */
public record Arg(String name, String value) {}
