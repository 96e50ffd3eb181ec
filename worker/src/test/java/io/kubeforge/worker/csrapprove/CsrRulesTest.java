package io.kubeforge.worker.csrapprove;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.csrapprove.CsrRules.Judgement;
import io.kubeforge.worker.csrapprove.CsrRules.Verdict;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

class CsrRulesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> KUBELET_USAGES = List.of("digital signature", "server auth");

  @Test
  void aNodeAskingForItsOwnNameAndAddressesIsApproved() throws Exception {
    Judgement j = CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES,
        "DNS:worker-1", "DNS:worker-1.example.internal", "IP:10.0.0.5", "IP:2001:db8::5"), node("worker-1"));
    assertThat(j.verdict()).as(j.reason()).isEqualTo(Verdict.VALID);
  }

  @Test
  void anRsaKubeletsUsagesWithKeyEnciphermentAreApproved() throws Exception {
    Judgement j = CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes",
        List.of("key encipherment", "digital signature", "server auth"), "IP:10.0.0.5"), node("worker-1"));
    assertThat(j.verdict()).as(j.reason()).isEqualTo(Verdict.VALID);
  }

  @Test
  void aSanOutsideTheNodesAddressesIsRefusedWithThatSanNamed() throws Exception {
    Judgement j = CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES,
        "DNS:worker-1", "DNS:kubernetes.default.svc", "IP:10.0.0.99"), node("worker-1"));
    assertThat(j.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(j.reason()).contains("DNS:kubernetes.default.svc", "IP:10.0.0.99").doesNotContain("DNS:worker-1,")
        .contains("not among Node worker-1's name and addresses");
  }

  @Test
  void aCsrFromAnotherNodeForThisNodesNameIsRefused() throws Exception {
    Judgement j = CsrRules.judge(csr("worker-2", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES,
        "DNS:worker-1"), node("worker-2"));
    assertThat(j.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(j.reason()).contains("CN=system:node:worker-2");
  }

  @Test
  void aRequesterThatIsNotANodeIsRefused() throws Exception {
    ObjectNode c = csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES, "DNS:worker-1");
    c.with("spec").put("username", "alice");
    assertThat(CsrRules.judge(c, Optional.empty()).reason()).contains("alice is not a node");
    ObjectNode noGroup = csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES, "DNS:worker-1");
    noGroup.with("spec").putArray("groups").add("system:authenticated");
    assertThat(CsrRules.judge(noGroup, node("worker-1")).reason()).contains("not in the group system:nodes");
  }

  @Test
  void usagesOtherThanTheKubeletsAreRefused() throws Exception {
    for (List<String> usages : List.of(List.of("digital signature", "server auth", "client auth"),
        List.of("server auth"), List.of("digital signature", "server auth", "server auth"))) {
      Judgement j = CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes", usages, "DNS:worker-1"),
          node("worker-1"));
      assertThat(j.verdict()).as(usages.toString()).isEqualTo(Verdict.INVALID);
      assertThat(j.reason()).contains("usages " + usages);
    }
  }

  @Test
  void aSubjectWithMoreThanTheNodesNameAndGroupIsRefused() throws Exception {
    Judgement j = CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes,O=system:masters",
        KUBELET_USAGES, "DNS:worker-1"), node("worker-1"));
    assertThat(j.verdict()).isEqualTo(Verdict.INVALID);
    assertThat(j.reason()).contains("system:masters");
  }

  @Test
  void aRequestWithoutSansOrForAMissingNodeIsRefused() throws Exception {
    assertThat(CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES),
        node("worker-1")).reason()).contains("no DNS or IP subject alternative name");
    assertThat(CsrRules.judge(csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES,
        "DNS:worker-1"), Optional.empty()).reason()).contains("Node worker-1 does not exist");
  }

  @Test
  void anotherSignersCsrIsIgnoredHoweverValid() throws Exception {
    ObjectNode c = csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES, "DNS:worker-1");
    c.with("spec").put("signerName", "kubernetes.io/kube-apiserver-client-kubelet");
    assertThat(CsrRules.judge(c, node("worker-1")).verdict()).isEqualTo(Verdict.IGNORED);
  }

  @Test
  void anAlreadyApprovedOrDeniedCsrIsNotDecidedAgain() throws Exception {
    ObjectNode c = csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES, "DNS:nowhere");
    c.with("status").putArray("conditions").addObject().put("type", "Denied").put("status", "True");
    Judgement j = CsrRules.judge(c, node("worker-1"));
    assertThat(j.verdict()).isEqualTo(Verdict.DECIDED);
    assertThat(j.reason()).isEqualTo("already denied");
  }

  @Test
  void aRequestThatIsNotPemIsRefusedNotThrown() throws Exception {
    ObjectNode c = csr("worker-1", "CN=system:node:worker-1,O=system:nodes", KUBELET_USAGES, "DNS:worker-1");
    c.with("spec").put("request", Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.US_ASCII)));
    assertThat(CsrRules.judge(c, node("worker-1")).reason()).contains("not a PEM certificate request");
  }

  // ---- fixtures -------------------------------------------------------------------------------

  private static Optional<ObjectNode> node(String name) {
    ObjectNode n = JSON.createObjectNode();
    n.with("metadata").put("name", name);
    var addresses = n.with("status").putArray("addresses");
    addresses.addObject().put("type", "InternalIP").put("address", "10.0.0.5");
    addresses.addObject().put("type", "InternalIP").put("address", "2001:db8::5");
    addresses.addObject().put("type", "Hostname").put("address", name);
    addresses.addObject().put("type", "InternalDNS").put("address", name + ".example.internal");
    return Optional.of(n);
  }

  private static ObjectNode csr(String requester, String subject, List<String> usages, String... sans)
      throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    var builder = new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), kp.getPublic());
    if (sans.length > 0) {
      List<GeneralName> names = new ArrayList<>();
      for (String s : sans) {
        names.add(s.startsWith("DNS:") ? new GeneralName(GeneralName.dNSName, s.substring(4))
            : new GeneralName(GeneralName.iPAddress, s.substring(3)));
      }
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    PKCS10CertificationRequest req = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      w.writeObject(req);
    }
    ObjectNode c = JSON.createObjectNode().put("apiVersion", "certificates.k8s.io/v1")
        .put("kind", "CertificateSigningRequest");
    c.with("metadata").put("name", "csr-" + requester);
    ObjectNode spec = c.with("spec");
    spec.put("signerName", CsrRules.SIGNER).put("username", "system:node:" + requester)
        .put("request", Base64.getEncoder().encodeToString(pem.toString().getBytes(StandardCharsets.US_ASCII)));
    spec.putArray("groups").add("system:nodes").add("system:authenticated");
    usages.forEach(spec.withArray("usages")::add);
    return c;
  }
}
