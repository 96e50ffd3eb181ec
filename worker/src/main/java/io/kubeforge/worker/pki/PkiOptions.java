package io.kubeforge.worker.pki;

import io.kubeforge.worker.support.IpAddresses.Cidr;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * PkiOptions is what the PKI phase reads: the certificate-related part of the cluster model,
 * already validated and defaulted by {@code config.ModelBuilder} and handed over by
 * {@code config.ClusterModel#pkiOptions}. The phase parses and defaults nothing itself, so every
 * capability answers one error code per kind of bad input and states one set of defaults.
 *
 * @param certDir absolute certificate directory
 * @param nodeName RFC 1123 node name
 * @param advertiseAddress the API server's advertise address
 * @param bindPort API server port
 * @param controlPlaneEndpoint {@code host[:port]}, if any
 * @param serviceSubnets one CIDR, or two of different families (dual stack)
 * @param dnsDomain cluster DNS domain
 * @param apiServerCertSans extra API server SANs
 * @param etcdServerCertSans extra etcd server SANs
 * @param etcdPeerCertSans extra etcd peer SANs
 * @param localEtcd true for a local (stacked) etcd, false for an external one
 * @param keyAlgorithm algorithm of every new key
 * @param certificateValidity leaf validity
 * @param caCertificateValidity CA validity
 * @param backup copy replaced files to {@code <file>.<UTC stamp>.bak} first
 * @param reissueOnNameChange reissue a leaf whose SAN set differs from the expected one in any
 *     way (added or removed names), keeping its key; without it only a missing SAN reissues
 *     (with a new key) and extra SANs are kept
 * @param newKeyOnNameChange with {@code reissueOnNameChange}, give such a leaf a new key too
 */
public record PkiOptions(Path certDir, String nodeName, InetAddress advertiseAddress, int bindPort,
                         Optional<Endpoint> controlPlaneEndpoint, List<Cidr> serviceSubnets,
                         String dnsDomain, AltNames apiServerCertSans, AltNames etcdServerCertSans,
                         AltNames etcdPeerCertSans, boolean localEtcd, KeyAlgorithm keyAlgorithm,
                         Duration certificateValidity, Duration caCertificateValidity, boolean backup,
                         boolean reissueOnNameChange, boolean newKeyOnNameChange) {
  /**
   * Endpoint is a parsed {@code control_plane_endpoint}.
   *
   * @param host an IP literal or a DNS name
   * @param port the port, or the bind port when none was given
   */
  public record Endpoint(String host, int port) {}

  public PkiOptions {
    serviceSubnets = List.copyOf(serviceSubnets);
  }
}
