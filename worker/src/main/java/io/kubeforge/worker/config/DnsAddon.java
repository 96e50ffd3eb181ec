package io.kubeforge.worker.config;

/**
 * DnsAddon is the CoreDNS addon's part of the ClusterConfiguration ({@code dns}).
 *
 * @param disabled {@code dns.disabled} (v1beta4): the addon phase is skipped, as
 *     {@code --skip-phases=addon/coredns} would
 * @param imageRepository {@code dns.imageRepository}, empty for the cluster's
 * @param imageTag {@code dns.imageTag}, empty for kubeadm's CoreDNS version
 */
public record DnsAddon(boolean disabled, String imageRepository, String imageTag) {
  /** Nothing set. */
  public static final DnsAddon DEFAULT = new DnsAddon(false, "", "");
}
