package io.kubeforge.worker.csrapprove;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.support.IpAddresses;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * CsrRules judges one CertificateSigningRequest against the rules of the package documentation.
 * It only reads: the CSR and the Node it names, both as the API server returned them.
 */
public final class CsrRules {
  /** The signer this approves for; every other signer's CSR is ignored. */
  public static final String SIGNER = "kubernetes.io/kubelet-serving";
  /** The prefix of a node's user name. */
  public static final String NODE_PREFIX = "system:node:";
  /** The group of nodes, and the subject's organization. */
  public static final String NODES_GROUP = "system:nodes";
  /** The Node address types a SAN may name. */
  public static final Set<String> ADDRESS_TYPES = Set.of("InternalIP", "ExternalIP", "Hostname", "InternalDNS",
      "ExternalDNS");
  /** The usages a kubelet asks for: with an RSA key, and with any other key. */
  public static final List<Set<String>> KUBELET_USAGES = List.of(
      Set.of("digital signature", "key encipherment", "server auth"),
      Set.of("digital signature", "server auth"));

  private CsrRules() {}

  /** What to do with one CSR. */
  public enum Verdict {
    /** Another signer's CSR: not touched, not reported. */
    IGNORED,
    /** Already approved or denied: not touched. */
    DECIDED,
    /** Valid: approve. */
    VALID,
    /** Fails a rule: deny (with {@code deny_invalid}) or leave pending. */
    INVALID
  }

  /** A verdict and why. */
  public record Judgement(Verdict verdict, String reason) {}

  /** The node a CSR's requester claims to be, or empty when the requester is not a node. */
  public static Optional<String> nodeName(ObjectNode csr) {
    String user = csr.path("spec").path("username").asText("");
    return user.startsWith(NODE_PREFIX) && user.length() > NODE_PREFIX.length()
        ? Optional.of(user.substring(NODE_PREFIX.length())) : Optional.empty();
  }

  /** The condition type ({@code Approved} or {@code Denied}) that already decided the CSR, if any. */
  public static Optional<String> decided(ObjectNode csr) {
    for (JsonNode c : csr.path("status").path("conditions")) {
      String type = c.path("type").asText("");
      if ((type.equals("Approved") || type.equals("Denied")) && !c.path("status").asText("True").equals("False")) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /**
   * Judges {@code csr}; {@code node} is the Node named by its requester (empty when there is none
   * or the requester is not a node).
   */
  public static Judgement judge(ObjectNode csr, Optional<ObjectNode> node) {
    JsonNode spec = csr.path("spec");
    if (!SIGNER.equals(spec.path("signerName").asText(""))) {
      return new Judgement(Verdict.IGNORED, "signer " + spec.path("signerName").asText("") + " is not " + SIGNER);
    }
    Optional<String> decided = decided(csr);
    if (decided.isPresent()) {
      return new Judgement(Verdict.DECIDED, "already " + decided.get().toLowerCase(java.util.Locale.ROOT));
    }
    String user = spec.path("username").asText("");
    Optional<String> name = nodeName(csr);
    if (name.isEmpty()) {
      return invalid("the requester " + user + " is not a node (system:node:<name>)");
    }
    Set<String> groups = new HashSet<>();
    spec.path("groups").forEach(g -> groups.add(g.asText()));
    if (!groups.contains(NODES_GROUP)) {
      return invalid("the requester " + user + " is not in the group " + NODES_GROUP);
    }
    Set<String> usages = new LinkedHashSet<>();
    List<String> given = new ArrayList<>();
    spec.path("usages").forEach(u -> {
      usages.add(u.asText());
      given.add(u.asText());
    });
    if (usages.size() != given.size() || !KUBELET_USAGES.contains(usages)) {
      return invalid("the usages " + given + " are not the kubelet's ([digital signature, key encipherment, "
          + "server auth], or without key encipherment)");
    }
    PKCS10CertificationRequest request;
    try {
      request = parse(spec.path("request").asText(""));
    } catch (IllegalArgumentException e) {
      return invalid("spec.request is not a PEM certificate request: " + e.getMessage());
    }
    String subject = request.getSubject().toString();
    String expected = NODE_PREFIX + name.get();
    if (!isNodeSubject(request.getSubject(), expected)) {
      return invalid("the subject " + subject + " is not CN=" + expected + ",O=" + NODES_GROUP);
    }
    if (!signatureValid(request)) {
      return invalid("the request's signature does not verify with its public key");
    }
    if (node.isEmpty()) {
      return invalid("the Node " + name.get() + " does not exist");
    }
    return sans(request, node.get());
  }

  private static Judgement invalid(String reason) {
    return new Judgement(Verdict.INVALID, reason);
  }

  /** Parses a base64-encoded PEM {@code CERTIFICATE REQUEST}, as {@code spec.request} holds it. */
  static PKCS10CertificationRequest parse(String base64) {
    byte[] pem;
    try {
      pem = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64");
    }
    try (PEMParser p = new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      Object o = p.readObject();
      if (o instanceof PKCS10CertificationRequest r) {
        return r;
      }
      throw new IllegalArgumentException(o == null ? "no PEM block" : "a " + o.getClass().getSimpleName()
          + ", not a CERTIFICATE REQUEST");
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException i) {
        throw i;
      }
      throw new IllegalArgumentException("unreadable (" + e.getMessage() + ")");
    }
  }

  private static boolean isNodeSubject(X500Name subject, String cn) {
    boolean sawCn = false;
    boolean sawO = false;
    for (RDN rdn : subject.getRDNs()) {
      for (AttributeTypeAndValue a : rdn.getTypesAndValues()) {
        ASN1ObjectIdentifier type = a.getType();
        String value = IETFUtils.valueToString(a.getValue());
        if (type.equals(BCStyle.CN) && !sawCn && value.equals(cn)) {
          sawCn = true;
        } else if (type.equals(BCStyle.O) && !sawO && value.equals(NODES_GROUP)) {
          sawO = true;
        } else {
          return false;
        }
      }
    }
    return sawCn && sawO;
  }

  private static boolean signatureValid(PKCS10CertificationRequest request) {
    try {
      return request.isSignatureValid(new JcaContentVerifierProviderBuilder()
          .build(new JcaPKCS10CertificationRequest(request).getPublicKey()));
    } catch (Exception e) {
      return false;
    }
  }

  private static Judgement sans(PKCS10CertificationRequest request, ObjectNode node) {
    String nodeName = node.path("metadata").path("name").asText("");
    Set<String> names = new HashSet<>();
    Set<InetAddress> ips = new HashSet<>();
    names.add(nodeName.toLowerCase(java.util.Locale.ROOT));
    for (JsonNode a : node.path("status").path("addresses")) {
      if (!ADDRESS_TYPES.contains(a.path("type").asText(""))) {
        continue;
      }
      String address = a.path("address").asText("");
      Optional<InetAddress> ip = IpAddresses.parse(address);
      if (ip.isPresent()) {
        ips.add(ip.get());
      } else {
        names.add(address.toLowerCase(java.util.Locale.ROOT));
      }
    }
    Extensions ext = null;
    for (org.bouncycastle.asn1.pkcs.Attribute attr : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      if (attr.getAttrValues().size() > 0) {
        ext = Extensions.getInstance(attr.getAttrValues().getObjectAt(0));
      }
    }
    GeneralNames gns = ext == null ? null : GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
    if (gns == null || gns.getNames().length == 0) {
      return invalid("the request names no DNS or IP subject alternative name");
    }
    List<String> outside = new ArrayList<>();
    for (GeneralName g : gns.getNames()) {
      switch (g.getTagNo()) {
        case GeneralName.dNSName -> {
          String dns = g.getName().toString();
          if (!names.contains(dns.toLowerCase(java.util.Locale.ROOT))) {
            outside.add("DNS:" + dns);
          }
        }
        case GeneralName.iPAddress -> {
          byte[] raw = org.bouncycastle.asn1.ASN1OctetString.getInstance(g.getName()).getOctets();
          InetAddress ip;
          try {
            ip = IpAddresses.byAddress(raw);
          } catch (RuntimeException e) {
            return invalid("the request names an IP subject alternative name of " + raw.length + " bytes");
          }
          if (!ips.contains(ip)) {
            outside.add("IP:" + IpAddresses.format(ip));
          }
        }
        case GeneralName.rfc822Name -> {
          return invalid("the request names an email address (" + g.getName() + "); a serving certificate names "
              + "DNS names and IP addresses only");
        }
        case GeneralName.uniformResourceIdentifier -> {
          return invalid("the request names a URI (" + g.getName() + "); a serving certificate names DNS names and "
              + "IP addresses only");
        }
        default -> {
          return invalid("the request names a subject alternative name of type " + g.getTagNo()
              + "; a serving certificate names DNS names and IP addresses only");
        }
      }
    }
    if (!outside.isEmpty()) {
      return invalid("subject alternative name" + (outside.size() == 1 ? " " : "s ") + String.join(", ", outside)
          + (outside.size() == 1 ? " is" : " are") + " not among Node " + nodeName + "'s name and addresses");
    }
    return new Judgement(Verdict.VALID, "requested by node " + nodeName + " for its own name and addresses");
  }
}
