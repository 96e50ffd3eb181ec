package io.kubeforge.worker.pki;

import io.kubeforge.worker.pki.PkiPhase.Action;
import io.kubeforge.worker.pki.PkiPhase.Materialized;
import io.kubeforge.worker.pki.PkiPhase.Plan;
import io.kubeforge.worker.pki.PkiPhase.Planned;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * PkiReport turns a plan into the {@code POST /v1/pki} result and diff (docs/api.md). Both are
 * computed from the plan, so a dry run reports exactly what a real run would; the only value a
 * dry run cannot know is the hash of a CA key that does not exist yet ({@code ca_cert_hash}
 * null). No key material is ever put in either.
 */
final class PkiReport {
  private final Plan plan;
  private final Materialized materialized;
  private final List<String> backups;

  PkiReport(Plan plan, Materialized materialized, List<String> backups) {
    this.plan = plan;
    this.materialized = materialized;
    this.backups = backups;
  }

  /** Formats an instant as RFC 3339 UTC with whole seconds, e.g. {@code 2027-11-23T12:00:00Z}. */
  static String time(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  Map<String, Object> result() {
    List<Map<String, Object>> certs = new ArrayList<>();
    for (Planned p : plan.planned.values()) {
      certs.add(entry(p));
    }
    Map<String, Object> sa = new LinkedHashMap<>();
    sa.put("path", plan.files.resolve(CertCatalog.SA_KEY).toString());
    sa.put("public_path", plan.files.resolve(CertCatalog.SA_PUB).toString());
    sa.put("action", plan.sa.action().label());
    sa.put("reason", plan.sa.reason());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("certificates", certs);
    out.put("service_account_key", sa);
    out.put("ca_cert_hash", caCertHash());
    out.put("external_ca", plan.planned.get(CertCatalog.CA.name()).action() == Action.EXTERNAL);
    out.put("backups", List.copyOf(backups));
    return out;
  }

  private String caCertHash() {
    Planned ca = plan.planned.get(CertCatalog.CA.name());
    if (!ca.writes()) {
      return CaCertHash.of(ca.disk().cert());
    }
    return materialized == null ? null : CaCertHash.of(materialized.certs().get(ca.spec().name()));
  }

  private Map<String, Object> entry(Planned p) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("name", p.spec().name());
    e.put("path", plan.files.resolve(p.spec().certFile()).toString());
    View v = after(p);
    e.put("subject", v == null ? null : v.subject);
    e.put("issuer", v == null ? null : v.issuer);
    e.put("dns_names", v == null ? List.of() : v.names.dnsNames());
    e.put("ip_addresses", v == null ? List.of() : v.names.ipStrings());
    e.put("not_after", v == null ? null : time(v.notAfter));
    e.put("action", p.action().label());
    e.put("reason", p.reason());
    return e;
  }

  /** View is what a diff line and a result entry show of one certificate. */
  private record View(String subject, String issuer, AltNames names, Instant notAfter) {
    String line() {
      return subject + ", issuer " + issuer + (names.isEmpty() ? "" : ", SANs [" + names.describe() + "]")
          + ", not after " + time(notAfter);
    }
  }

  private static View view(X509Certificate c) {
    return new View(c.getSubjectX500Principal().getName(X500Principal.RFC2253),
        c.getIssuerX500Principal().getName(X500Principal.RFC2253), CertChecks.altNames(c),
        c.getNotAfter().toInstant());
  }

  /** Returns the certificate as it is after the run (or would be after a dry run). */
  private View after(Planned p) {
    if (!p.writes()) {
      return p.disk().cert() == null ? null : view(p.disk().cert());
    }
    CertSpec spec = p.spec();
    String subject = name(CertificateFactory.subject(spec));
    String issuer;
    if (spec.isCa()) {
      issuer = subject;
    } else {
      Planned ca = plan.planned.get(spec.caName());
      issuer = ca.writes() ? name(CertificateFactory.subject(ca.spec()))
          : ca.disk().cert().getSubjectX500Principal().getName(X500Principal.RFC2253);
    }
    return new View(subject, issuer, spec.altNames(), plan.validity(spec).notAfter());
  }

  private static String name(org.bouncycastle.asn1.x500.X500Name n) {
    try {
      return new X500Principal(n.getEncoded()).getName(X500Principal.RFC2253);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  Map<String, Object> diff() {
    List<String> before = new ArrayList<>();
    List<String> after = new ArrayList<>();
    for (Planned p : plan.planned.values()) {
      OnDisk d = p.disk();
      String crt = p.spec().certFile();
      String key = p.spec().keyFile();
      before.add(crt + ": " + (d.cert() == null ? "absent" : view(d.cert()).line()));
      before.add(key + ": " + keyLine(d.publicKey()));
      View v = after(p);
      after.add(crt + ": " + (v == null ? "absent" : v.line())
          + (p.writes() && p.reason() != null && p.reason().startsWith("names changed: ") ? " (" + p.reason() + ")" : ""));
      after.add(key + ": " + (p.writes() && !p.keepKey() ? "new " + plan.options.keyAlgorithm().id() + " private key"
          : keyLine(d.publicKey())));
    }
    OnDisk sa = plan.sa.key();
    before.add(CertCatalog.SA_KEY + ": " + keyLine(sa.publicKey()));
    before.add(CertCatalog.SA_PUB + ": " + pubLine(plan.sa.pubBytes().orElse(null)));
    boolean newSa = plan.sa.action() == Action.CREATED;
    after.add(CertCatalog.SA_KEY + ": " + (newSa ? "new " + plan.options.keyAlgorithm().id() + " private key" : keyLine(sa.publicKey())));
    after.add(CertCatalog.SA_PUB + ": " + (newSa ? "new " + plan.options.keyAlgorithm().id() + " public key"
        : plan.sa.action() == Action.KEPT ? pubLine(plan.sa.pubBytes().orElse(null)) : publicLine(sa.publicKey())));
    Map<String, Object> diff = new LinkedHashMap<>();
    diff.put("before", String.join("\n", before) + "\n");
    diff.put("after", String.join("\n", after) + "\n");
    return diff;
  }

  private static String keyLine(PublicKey pub) {
    return pub == null ? "absent" : KeyAlgorithm.describe(pub) + " private key, public key " + CaCertHash.of(pub);
  }

  private static String publicLine(PublicKey pub) {
    return KeyAlgorithm.describe(pub) + " public key " + CaCertHash.of(pub);
  }

  private static String pubLine(byte[] bytes) {
    if (bytes == null) {
      return "absent";
    }
    try {
      List<String> keys = Pem.parsePublicKeys(bytes).stream().map(PkiReport::publicLine).toList();
      return String.join("; ", keys);
    } catch (IllegalArgumentException e) {
      return "unreadable (" + bytes.length + " bytes)";
    }
  }
}
