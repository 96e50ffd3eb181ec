package io.kubeforge.worker.config;

import java.util.List;

/**
 * ComponentExtras holds what the user adds to one control-plane component: extra flags (in the
 * order given), extra hostPath volumes and extra environment variables.
 *
 * @param extraArgs flags appended after kubeadm's sorted defaults, replacing defaults of the same name
 * @param extraVolumes hostPath volumes added last, replacing defaults of the same name
 * @param extraEnvs environment variables merged over the proxy variables
 */
public record ComponentExtras(List<Arg> extraArgs, List<HostPathMount> extraVolumes, List<EnvVar> extraEnvs) {
  /** Nothing added. */
  public static final ComponentExtras NONE = new ComponentExtras(List.of(), List.of(), List.of());

  public ComponentExtras {
    extraArgs = List.copyOf(extraArgs);
    extraVolumes = List.copyOf(extraVolumes);
    extraEnvs = List.copyOf(extraEnvs);
  }

  /** Returns the last value given for a flag, kubeadm's {@code GetArgValue(args, name, -1)}. */
  public java.util.Optional<String> lastArg(String name) {
    for (int i = extraArgs.size() - 1; i >= 0; i--) {
      if (extraArgs.get(i).name().equals(name)) {
        return java.util.Optional.of(extraArgs.get(i).value());
      }
    }
    return java.util.Optional.empty();
  }
}
