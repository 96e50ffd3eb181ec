package io.kubeforge.worker.config;

import java.time.Duration;
import java.util.List;

/**
 * One entry of {@code InitConfiguration.bootstrapTokens}, defaulted as kubeadm v1beta4 defaults it
 * ({@code SetDefaults_BootstrapToken}): {@code ttl} 24h, {@code usages} signing and authentication,
 * {@code groups} {@code system:bootstrappers:kubeadm:default-node-token}. kubeadm then rejects
 * {@code expires} always (the defaulted {@code ttl} and {@code expires} are mutually exclusive), so
 * there is no {@code expires} here.
 *
 * @param token {@code token} ({@code [a-z0-9]{6}.[a-z0-9]{16}}), or null: generated, as kubeadm's
 *     {@code SetBootstrapTokensDynamicDefaults} does
 * @param description {@code description}, empty when not given
 * @param ttl {@code ttl}; zero means the token never expires
 * @param usages {@code usages} (not yet checked against the known usages: the bootstrap-token phase does)
 * @param groups {@code groups} (checked by the bootstrap-token phase)
 * @param path where the entry is in the input, e.g. {@code kubeadm_config.bootstrapTokens[0]}
 */
public record BootstrapTokenConfig(String token, String description, Duration ttl, List<String> usages,
                                   List<String> groups, String path) {
  /** kubeadm's {@code DefaultTokenDuration}. */
  public static final Duration DEFAULT_TTL = Duration.ofHours(24);
  /** kubeadm's {@code DefaultTokenUsages}. */
  public static final List<String> DEFAULT_USAGES = List.of("signing", "authentication");
  /** kubeadm's {@code DefaultTokenGroups}. */
  public static final List<String> DEFAULT_GROUPS = List.of("system:bootstrappers:kubeadm:default-node-token");

  public BootstrapTokenConfig {
    usages = List.copyOf(usages);
    groups = List.copyOf(groups);
  }
}
