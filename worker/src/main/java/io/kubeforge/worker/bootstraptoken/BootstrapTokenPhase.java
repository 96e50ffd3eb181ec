package io.kubeforge.worker.bootstraptoken;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.config.BootstrapTokenConfig;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.kube.Applied;
import io.kubeforge.worker.kube.BootstrapToken;
import io.kubeforge.worker.kube.ClusterAccess;
import io.kubeforge.worker.kube.KubeClient;
import io.kubeforge.worker.kube.KubeException;
import io.kubeforge.worker.pki.CaCertHash;
import io.kubeforge.worker.support.GoDuration;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** BootstrapTokenPhase serves {@code POST /v1/bootstrap-token}; see the package documentation. */
public final class BootstrapTokenPhase {
  /** The fields of the request. */
  public static final Set<String> FIELDS;

  static {
    Set<String> f = new HashSet<>(ClusterAccess.FIELDS);
    f.addAll(Set.of("state", "token", "token_id", "ttl", "usages", "groups", "description", "certificate_key",
        RequestOptions.KUBEADM_CONFIG));
    FIELDS = Set.copyOf(f);
  }

  private static final String INVALID = "bootstrap_token.invalid";

  /** Runs one call. */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    RequestFields f = RequestFields.of(body, FIELDS);
    String state = f.string("state").orElse("present");
    switch (state) {
      case "present" -> {
        List<Input> ins = inputs(f, body);
        try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
          return present(access, ins, dryRun);
        }
      }
      case "absent" -> {
        String id = tokenId(f);
        try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
          boolean existed = access.client().delete("v1", "Secret", BootstrapToken.NAMESPACE,
              BootstrapToken.SECRET_PREFIX + id, dryRun);
          Map<String, Object> result = base(access);
          result.put("token_id", id);
          result.put("objects", List.of(Map.of("kind", "Secret", "namespace", BootstrapToken.NAMESPACE,
              "name", BootstrapToken.SECRET_PREFIX + id, "action", existed ? "deleted" : "absent")));
          return new PhaseResult(existed || changed(access), List.of(), result, null);
        }
      }
      case "list" -> {
        try (ClusterAccess.Opened access = ClusterAccess.open(f, dryRun)) {
          Map<String, Object> result = base(access);
          result.put("tokens", list(access.client()));
          return new PhaseResult(changed(access), List.of(), result, null);
        }
      }
      default -> throw WorkerException.badInput(INVALID, "state", "'" + state + "' must be present, absent or list");
    }
  }

  /**
   * Validated input of state=present: everything is checked before the cluster is touched. With
   * {@code cfg} (one entry of the kubeadm config's {@code bootstrapTokens}) its values are used
   * where the request gives no option of the same name: explicit options win.
   */
  private record Input(String token, Duration ttl, List<String> usages, List<String> groups, String description,
                       String certificateKey, String source) {
    static Input read(RequestFields f, Map<String, Object> body, BootstrapTokenConfig cfg) {
      String token = f.string("token").orElse(cfg == null ? null : cfg.token());
      String tokenField = f.string("token").isPresent() || cfg == null ? "token" : cfg.path() + ".token";
      if (token != null) {
        BootstrapToken.parse(token, tokenField);
      }
      if (f.string("token_id").isPresent()) {
        throw WorkerException.badInput(INVALID, "token_id", "is only used with state=absent; give token instead");
      }
      Duration ttl;
      Optional<String> ttlOption = f.string("ttl");
      if (ttlOption.isEmpty() && cfg != null) {
        ttl = cfg.ttl();
      } else {
        String ttlText = ttlOption.orElse("24h");
        try {
          ttl = GoDuration.parse(ttlText);
        } catch (IllegalArgumentException e) {
          throw WorkerException.badInput(INVALID, "ttl", e.getMessage());
        }
        if (ttl.isNegative()) {
          throw WorkerException.badInput(INVALID, "ttl", "'" + ttlText + "' must not be negative (0 means never expires)");
        }
      }
      boolean usagesFromConfig = body.get("usages") == null && cfg != null;
      boolean groupsFromConfig = body.get("groups") == null && cfg != null;
      List<String> usages = usagesFromConfig ? cfg.usages()
          : body.get("usages") == null ? BootstrapToken.DEFAULT_USAGES : f.stringList("usages");
      List<String> groups = groupsFromConfig ? cfg.groups()
          : body.get("groups") == null ? List.of(BootstrapToken.DEFAULT_GROUP) : f.stringList("groups");
      String usagesField = usagesFromConfig ? cfg.path() + ".usages" : "usages";
      String groupsField = groupsFromConfig ? cfg.path() + ".groups" : "groups";
      BootstrapToken.validate(usages, usagesField, groups, groupsField);
      if (!groups.isEmpty() && !usages.contains("authentication")) {
        throw WorkerException.badInput(INVALID, groupsField, "cannot be set unless usages includes \"authentication\"");
      }
      String key = f.string("certificate_key").orElse(null);
      if (key != null && !key.matches("[0-9a-fA-F]{64}")) {
        throw WorkerException.badInput(INVALID, "certificate_key", "must be 64 hexadecimal characters (32 bytes)");
      }
      String description = f.string("description").orElse(cfg == null ? "" : cfg.description());
      return new Input(token, ttl, usages.stream().distinct().sorted().toList(), groups.stream().distinct().toList(),
          description, key == null ? null : key.toLowerCase(java.util.Locale.ROOT), cfg == null ? "token" : cfg.path());
    }
  }

  /**
   * The tokens to create or update: the request's own, or, when it gives no {@code token} and
   * {@code kubeadm_config} lists {@code bootstrapTokens}, one per entry (in order), as
   * {@code kubeadm init phase bootstrap-token} creates them.
   */
  private static List<Input> inputs(RequestFields f, Map<String, Object> body) {
    List<BootstrapTokenConfig> fromConfig = f.string(RequestOptions.KUBEADM_CONFIG).isEmpty() ? List.of()
        : ClusterModel.fromRequest(Map.of(RequestOptions.KUBEADM_CONFIG, body.get(RequestOptions.KUBEADM_CONFIG)))
            .bootstrapTokens();
    if (f.string("token").isPresent() || fromConfig.isEmpty()) {
      return List.of(Input.read(f, body, null));
    }
    List<Input> out = new ArrayList<>();
    for (BootstrapTokenConfig c : fromConfig) {
      out.add(Input.read(f, body, c));
    }
    return out;
  }

  /**
   * Applies every token in order. The result's top-level facts (and the join commands) are the
   * first token's, as kubeadm init prints the first; {@code tokens} lists every token's facts when
   * the kubeadm config gave more than one. When one of several fails, the error names its entry
   * and the tokens applied before it.
   */
  private PhaseResult present(ClusterAccess.Opened access, List<Input> ins, boolean dryRun) {
    if (ins.size() == 1) {
      return presentOne(access, ins.get(0), Set.of(), new ArrayList<>(), dryRun);
    }
    List<PhaseResult> each = new ArrayList<>();
    List<Applied> done = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (Input in : ins) {
      PhaseResult r;
      try {
        r = presentOne(access, in, taken, done, dryRun);
      } catch (KubeException e) {
        throw e.afterApplying(done, in.source());
      }
      taken.add((String) r.result().get("token_id"));
      each.add(r);
    }
    Map<String, Object> result = new LinkedHashMap<>(each.get(0).result());
    List<Object> objects = new ArrayList<>();
    List<Map<String, Object>> tokens = new ArrayList<>();
    Map<String, Object> diff = null;
    boolean changed = false;
    for (PhaseResult r : each) {
      changed |= r.changed();
      objects.addAll((List<?>) r.result().get("objects"));
      Map<String, Object> t = new LinkedHashMap<>();
      for (String k : List.of("token", "token_id", "expires", "ttl", "usages", "groups", "description")) {
        t.put(k, r.result().get(k));
      }
      tokens.add(t);
      if (r.diff() != null) {
        if (diff == null) {
          diff = new LinkedHashMap<>(Map.of("before", new LinkedHashMap<String, Object>(),
              "after", new LinkedHashMap<String, Object>()));
        }
        String id = (String) r.result().get("token_id");
        cast(diff.get("before")).put(id, r.diff().get("before"));
        cast(diff.get("after")).put(id, r.diff().get("after"));
      }
    }
    result.put("objects", objects);
    result.put("tokens", tokens);
    return new PhaseResult(changed, List.of(), result, diff);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Object o) {
    return (Map<String, Object>) o;
  }

  private PhaseResult presentOne(ClusterAccess.Opened access, Input in, Set<String> taken, List<Applied> done,
                                 boolean dryRun) {
    KubeClient kube = access.client();
    Instant now = Instant.now();
    Optional<BootstrapToken> existing;
    String id;
    String secret;
    if (in.token != null) {
      String[] parts = BootstrapToken.parse(in.token, "token");
      id = parts[0];
      secret = parts[1];
      existing = kube.get("v1", "Secret", BootstrapToken.NAMESPACE, BootstrapToken.SECRET_PREFIX + id)
          .flatMap(BootstrapToken::fromSecret);
    } else {
      existing = tokens(kube).stream()
          .filter(t -> !taken.contains(t.id()) && !t.expiredAt(now) && t.description().equals(in.description)
              && t.usages().equals(in.usages) && t.groups().equals(in.groups)
              && (in.ttl.isZero() == (t.expires() == null)))
          .max(Comparator.comparing(t -> t.expires() == null ? Instant.MAX : t.expires()));
      String[] parts = existing.map(t -> new String[] {t.id(), t.secret()})
          .orElseGet(() -> BootstrapToken.parse(BootstrapToken.generate(), "token"));
      id = parts[0];
      secret = parts[1];
    }
    Instant expires = null;
    if (!in.ttl.isZero()) {
      Instant kept = existing.filter(t -> t.secret().equals(secret) && !t.expiredAt(now)).map(BootstrapToken::expires)
          .orElse(null);
      expires = kept != null ? kept : now.plus(in.ttl).truncatedTo(ChronoUnit.SECONDS);
    }
    BootstrapToken token = new BootstrapToken(id, secret, in.description, expires, in.usages, in.groups);
    Applied applied = kube.apply(token.toSecret(), true, dryRun);
    done.add(applied);

    Map<String, Object> result = base(access);
    result.put("token", token.token());
    result.put("token_id", id);
    result.put("expires", expires == null ? null : expires.toString());
    result.put("ttl", in.ttl.isZero() ? "0s" : GoDuration.format(in.ttl));
    result.put("usages", in.usages);
    result.put("groups", in.groups);
    result.put("description", in.description);
    String endpoint = endpoint(kube);
    String hash = kube.kubeconfig().ca().isEmpty() ? null : CaCertHash.of(kube.kubeconfig().ca().get(0));
    result.put("ca_cert_hash", hash);
    result.put("api_server_endpoint", endpoint);
    String join = "kubeadm join " + endpoint + " --token " + token.token()
        + (hash == null ? " --discovery-token-unsafe-skip-ca-verification" : " --discovery-token-ca-cert-hash " + hash);
    result.put("join_command", join);
    result.put("join_command_control_plane", in.certificateKey == null ? null
        : join + " --control-plane --certificate-key " + in.certificateKey);
    result.put("objects", List.of(applied.fact()));
    Map<String, Object> diff = null;
    if (applied.changed()) {
      diff = new LinkedHashMap<>();
      diff.put("before", applied.before() == null ? null : visible(applied.before()));
      diff.put("after", visible(applied.object()));
    }
    return new PhaseResult(applied.changed() || changed(access), List.of(), result, diff);
  }

  /** The Secret's data for a diff: decoded, with the token secret masked. */
  private static Map<String, String> visible(ObjectNode secret) {
    Map<String, String> out = new TreeMap<>();
    secret.path("data").fields().forEachRemaining(e -> out.put(e.getKey(), e.getKey().equals("token-secret")
        ? "<hidden>" : new String(java.util.Base64.getDecoder().decode(e.getValue().asText()),
            java.nio.charset.StandardCharsets.UTF_8)));
    return out;
  }

  private static String endpoint(KubeClient kube) {
    var server = kube.kubeconfig().server();
    return server.getRawAuthority();
  }

  private static List<BootstrapToken> tokens(KubeClient kube) {
    List<BootstrapToken> out = new ArrayList<>();
    for (ObjectNode s : kube.list("v1", "Secret", BootstrapToken.NAMESPACE, null)) {
      if (BootstrapToken.SECRET_TYPE.equals(s.path("type").asText())) {
        BootstrapToken.fromSecret(s).ifPresent(out::add);
      }
    }
    return out;
  }

  /** What {@code kubeadm token list} shows, without the token secrets. */
  private static List<Map<String, Object>> list(KubeClient kube) {
    Instant now = Instant.now();
    List<Map<String, Object>> out = new ArrayList<>();
    for (BootstrapToken t : tokens(kube)) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("token_id", t.id());
      row.put("ttl", t.expires() == null ? "<forever>" : t.expiredAt(now) ? "<invalid>"
          : GoDuration.format(Duration.between(now, t.expires()).truncatedTo(ChronoUnit.SECONDS)));
      row.put("expires", t.expires() == null ? null : t.expires().toString());
      row.put("expired", t.expiredAt(now));
      row.put("usages", t.usages());
      row.put("description", t.description());
      row.put("groups", t.groups());
      out.add(row);
    }
    out.sort(Comparator.comparing(m -> (String) m.get("token_id")));
    return out;
  }

  private static String tokenId(RequestFields f) {
    Optional<String> token = f.string("token");
    Optional<String> id = f.string("token_id");
    if (token.isPresent()) {
      return BootstrapToken.parse(token.get(), "token")[0];
    }
    if (id.isEmpty()) {
      throw WorkerException.badInput(RequestFields.MISSING_FIELD, "token_id", "state=absent needs token or token_id");
    }
    if (!BootstrapToken.TOKEN_ID.matcher(id.get()).matches()) {
      throw WorkerException.badInput(INVALID, "token_id", "'" + id.get() + "' must be 6 characters [a-z0-9]");
    }
    return id.get();
  }

  private static Map<String, Object> base(ClusterAccess.Opened access) {
    Map<String, Object> result = new LinkedHashMap<>();
    if (access.clusterAdmins() != null) {
      result.put("cluster_admins", access.clusterAdminsFact());
    }
    return result;
  }

  private static boolean changed(ClusterAccess.Opened access) {
    return access.clusterAdmins() != null && access.clusterAdmins().applied().changed();
  }
}
