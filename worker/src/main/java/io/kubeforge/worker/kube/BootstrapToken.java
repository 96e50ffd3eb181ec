package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * BootstrapToken is a kubeadm bootstrap token ({@code k8s.io/cluster-bootstrap/token} and
 * kubeadm's {@code apis/bootstraptoken/v1}): its format, its secure generation, and the
 * {@code kube-system/bootstrap-token-<id>} Secret exactly as kubeadm writes it.
 *
 * @param id the 6-character public part
 * @param secret the 16-character secret part (never logged)
 * @param description the optional description ("" for none)
 * @param expires when it expires, or null for never
 * @param usages {@code signing} and/or {@code authentication}
 * @param groups extra groups, each {@code system:bootstrappers:...}
 */
public record BootstrapToken(String id, String secret, String description, Instant expires, List<String> usages,
                             List<String> groups) {
  /** The token regex. */
  public static final Pattern TOKEN = Pattern.compile("\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z");
  /** The token id regex. */
  public static final Pattern TOKEN_ID = Pattern.compile("\\A([a-z0-9]{6})\\z");
  /** kubeadm's regex for extra groups. */
  public static final Pattern GROUP = Pattern.compile("\\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\\z");
  /** The usages a token may have. */
  public static final List<String> KNOWN_USAGES = List.of("signing", "authentication");
  /** kubeadm's default usages. */
  public static final List<String> DEFAULT_USAGES = List.of("signing", "authentication");
  /** kubeadm's default extra group. */
  public static final String DEFAULT_GROUP = "system:bootstrappers:kubeadm:default-node-token";
  /** The Secret type. */
  public static final String SECRET_TYPE = "bootstrap.kubernetes.io/token";
  /** The Secret name prefix. */
  public static final String SECRET_PREFIX = "bootstrap-token-";
  /** The namespace of token Secrets. */
  public static final String NAMESPACE = "kube-system";
  /** Bad-token error code. */
  public static final String INVALID = "kube.invalid_token";

  private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

  public BootstrapToken {
    usages = List.copyOf(usages);
    groups = List.copyOf(groups);
  }

  /** {@code id.secret}. */
  public String token() {
    return id + "." + secret;
  }

  /** The Secret's name. */
  public String secretName() {
    return SECRET_PREFIX + id;
  }

  /** A fresh random token string in kubeadm's format (crypto random, rejection sampling as Go's). */
  public static String generate() {
    return randomString(6) + "." + randomString(16);
  }

  private static String randomString(int n) {
    StringBuilder sb = new StringBuilder(n);
    byte[] b = new byte[1];
    while (sb.length() < n) {
      RANDOM.nextBytes(b);
      int v = b[0] & 0xff;
      if (v < 252) { // 252 = 7 * 36: reject the tail so every character is equally likely
        sb.append(ALPHABET.charAt(v % 36));
      }
    }
    return sb.toString();
  }

  /** Splits a token string; a malformed one is a 400 naming {@code field} (the value is not echoed). */
  public static String[] parse(String token, String field) {
    var m = TOKEN.matcher(token);
    if (!m.matches()) {
      throw WorkerException.badInput(INVALID, field,
          "is not a bootstrap token of the form [a-z0-9]{6}.[a-z0-9]{16}");
    }
    return new String[] {m.group(1), m.group(2)};
  }

  /** Checks usages and groups as kubeadm's validation does; problems name {@code field[i]}. */
  public static void validate(List<String> usages, String usagesField, List<String> groups, String groupsField) {
    for (int i = 0; i < usages.size(); i++) {
      if (!KNOWN_USAGES.contains(usages.get(i))) {
        throw WorkerException.badInput(INVALID, usagesField + "[" + i + "]",
            "'" + usages.get(i) + "' is not a known usage; known usages are " + String.join(", ", KNOWN_USAGES));
      }
    }
    for (int i = 0; i < groups.size(); i++) {
      if (!GROUP.matcher(groups.get(i)).matches()) {
        throw WorkerException.badInput(INVALID, groupsField + "[" + i + "]",
            "'" + groups.get(i) + "' must match " + GROUP.pattern() + " (start with system:bootstrappers:)");
      }
    }
  }

  /** The Secret as kubeadm's {@code BootstrapTokenToSecret} writes it (data base64-encoded). */
  public ObjectNode toSecret() {
    ObjectNode s = new ObjectMapper().createObjectNode().put("apiVersion", "v1").put("kind", "Secret");
    s.putObject("metadata").put("name", secretName()).put("namespace", NAMESPACE);
    s.put("type", SECRET_TYPE);
    ObjectNode data = s.putObject("data");
    dataMap().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return s;
  }

  private Map<String, String> dataMap() {
    Map<String, String> data = new TreeMap<>();
    data.put("token-id", id);
    data.put("token-secret", secret);
    if (!description.isEmpty()) {
      data.put("description", description);
    }
    if (expires != null) {
      data.put("expiration", RFC3339.format(expires.truncatedTo(ChronoUnit.SECONDS)));
    }
    for (String u : usages) {
      data.put("usage-bootstrap-" + u, "true");
    }
    if (!groups.isEmpty()) {
      data.put("auth-extra-groups", String.join(",", groups));
    }
    return data;
  }

  /**
   * Reads a token back from its Secret as kubeadm's {@code BootstrapTokenFromSecret} does (usages
   * sorted, only keys whose value is exactly {@code "true"}); empty when it is not a valid token
   * Secret.
   */
  public static Optional<BootstrapToken> fromSecret(ObjectNode secret) {
    String name = secret.path("metadata").path("name").asText("");
    Map<String, String> data = new TreeMap<>();
    secret.path("data").fields().forEachRemaining(e -> {
      try {
        data.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue().asText("")), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException ignored) {
        // not base64: not a usable token field
      }
    });
    String id = data.getOrDefault("token-id", "");
    String secretPart = data.getOrDefault("token-secret", "");
    if (!name.equals(SECRET_PREFIX + id) || !TOKEN.matcher(id + "." + secretPart).matches()) {
      return Optional.empty();
    }
    Instant expires = null;
    if (data.containsKey("expiration")) {
      try {
        expires = Instant.parse(data.get("expiration"));
      } catch (DateTimeParseException e) {
        return Optional.empty();
      }
    }
    List<String> usages = new ArrayList<>();
    data.forEach((k, v) -> {
      if (k.startsWith("usage-bootstrap-") && v.equals("true")) {
        usages.add(k.substring("usage-bootstrap-".length()));
      }
    });
    List<String> groups = data.containsKey("auth-extra-groups") && !data.get("auth-extra-groups").isEmpty()
        ? List.of(data.get("auth-extra-groups").split(",")) : List.of();
    return Optional.of(new BootstrapToken(id, secretPart, data.getOrDefault("description", ""), expires,
        usages.stream().sorted().toList(), groups));
  }

  /** Whether it has expired at {@code now}. */
  public boolean expiredAt(Instant now) {
    return expires != null && !now.isBefore(expires);
  }

  @Override
  public String toString() {
    return "BootstrapToken[" + id + "]";
  }
}
