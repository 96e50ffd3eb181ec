package io.kubeforge.worker.pki;

import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x509.KeyPurposeId;

/**
 * CertSpec describes one certificate as data, as an entry of kubeadm's {@code certlist.go}: its
 * phase name, the file base name below the certificate directory, the issuing CA's name (null
 * for a self-signed CA), subject CN and O, extended key usages and SANs.
 *
 * @param name kubeadm's phase name, e.g. {@code etcd-server}
 * @param baseName file base name, e.g. {@code etcd/server} for {@code etcd/server.crt|.key}
 * @param caName the issuing CA's {@code name}, or null for a CA
 * @param commonName subject CN, never empty
 * @param organizations subject O values, possibly empty
 * @param usages extended key usages; empty only for CAs
 * @param altNames subject alternative names ({@link AltNames#NONE} for client certificates)
 */
public record CertSpec(String name, String baseName, String caName, String commonName,
                       List<String> organizations, List<Usage> usages, AltNames altNames) {

  /** Usage is an extended key usage kubeadm puts on its certificates. */
  public enum Usage {
    SERVER_AUTH(KeyPurposeId.id_kp_serverAuth),
    CLIENT_AUTH(KeyPurposeId.id_kp_clientAuth);

    private final KeyPurposeId oid;

    Usage(KeyPurposeId oid) {
      this.oid = oid;
    }

    /** Returns the OID as BouncyCastle's key purpose. */
    public KeyPurposeId oid() {
      return oid;
    }
  }

  /** Validates like kubeadm: a CN is required, and a leaf needs at least one usage. */
  public CertSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(baseName, "baseName");
    if (commonName == null || commonName.isEmpty()) {
      throw new IllegalArgumentException("must specify a CommonName");
    }
    organizations = List.copyOf(organizations);
    usages = List.copyOf(usages);
    altNames = altNames == null ? AltNames.NONE : altNames;
    if (caName != null && usages.isEmpty()) {
      throw new IllegalArgumentException("must specify at least one ExtKeyUsage");
    }
  }

  /** Describes a self-signed CA; it gets a DNS SAN equal to its CN, as kubeadm's CA template. */
  public static CertSpec ca(String name, String baseName, String commonName) {
    return new CertSpec(name, baseName, null, commonName, List.of(), List.of(),
        new AltNames(List.of(commonName), List.of()));
  }

  /** Describes a leaf signed by {@code caName}. */
  public static CertSpec leaf(String name, String baseName, String caName, String commonName,
                              List<String> organizations, List<Usage> usages) {
    return new CertSpec(name, baseName, caName, commonName, organizations, usages, AltNames.NONE);
  }

  /**
   * Describes a client certificate (EKU clientAuth, no SANs), e.g. a kubeconfig user; the base
   * name is informational only.
   */
  public static CertSpec client(String name, String caName, String commonName, List<String> organizations) {
    return leaf(name, name, caName, commonName, organizations, List.of(Usage.CLIENT_AUTH));
  }

  /** Tells whether this is a CA. */
  public boolean isCa() {
    return caName == null;
  }

  /** Returns a copy with another CN (kubeadm's {@code setCommonNameToNodeName}). */
  public CertSpec withCommonName(String cn) {
    return new CertSpec(name, baseName, caName, cn, organizations, usages, altNames);
  }

  /** Returns a copy with other SANs (kubeadm's {@code makeAltNamesMutator}). */
  public CertSpec withAltNames(AltNames names) {
    return new CertSpec(name, baseName, caName, commonName, organizations, usages, names);
  }

  /** Returns the certificate file name, e.g. {@code etcd/server.crt}. */
  public String certFile() {
    return baseName + ".crt";
  }

  /** Returns the key file name, e.g. {@code etcd/server.key}. */
  public String keyFile() {
    return baseName + ".key";
  }
}
