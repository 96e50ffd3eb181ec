package io.kubeforge.worker.encryption;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.RequestOptions;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * EncryptionConfigPhase maintains the kube-apiserver {@code EncryptionConfiguration} for Secrets.
 * Absent → created with one new 32-byte key under the chosen provider, then {@code identity}.
 * Present with the chosen provider first → kept. A different provider → the new provider with a
 * new key goes first and the old providers stay after it (so existing data still decrypts).
 * {@code rotate: true} puts a new key first in the active provider and keeps the old ones;
 * {@code retire_keys} removes keys by name, never the active (first) key. A file whose Secrets
 * entry cannot be understood is never rewritten (409), because dropping keys loses data.
 * Results and diffs name keys, never show them.
 */
public final class EncryptionConfigPhase {
  /** The request fields of this capability besides the model's. */
  public static final Set<String> OWN_FIELDS = Set.of("dry_run", "backup", "provider", "rotate", "retire_keys");
  /** Providers with a 32-byte key (AES-256, XSalsa20-Poly1305). */
  public static final List<String> PROVIDERS = List.of("aescbc", "aesgcm", "secretbox");
  /** The provider used when the request names none. */
  public static final String DEFAULT_PROVIDER = "secretbox";
  /** Default path when the request names none. */
  public static final String DEFAULT_FILE = "encryption/encryption-config.yaml";
  static final String API_VERSION = "apiserver.config.k8s.io/v1";
  private static final int KEY_BYTES = 32;
  private static final int MAX_FILE = 1 << 20;
  private static final DateTimeFormatter NAME =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Supplier<byte[]> keySource;
  private final Clock clock;

  /** Creates the phase with keys from a {@link SecureRandom}. */
  public EncryptionConfigPhase() {
    this(secureKeys(), Clock.systemUTC());
  }

  /** Creates the phase with an injected key source (must return 32 fresh bytes per call) and clock. */
  public EncryptionConfigPhase(Supplier<byte[]> keySource, Clock clock) {
    this.keySource = keySource;
    this.clock = clock;
  }

  private static Supplier<byte[]> secureKeys() {
    SecureRandom random = new SecureRandom();
    return () -> {
      byte[] k = new byte[KEY_BYTES];
      random.nextBytes(k);
      return k;
    };
  }

  /** Request is the decoded input of this capability. */
  public record Request(Path path, String provider, boolean rotate, List<String> retireKeys, boolean dryRun,
                        boolean backup) {}

  /**
   * Decodes a request body: the model's options (for {@code encryption_config_path}, default
   * {@code <kubeconfig_dir>/encryption/encryption-config.yaml}) plus {@code provider} (default
   * {@code secretbox}: the Kubernetes documentation rates aescbc weak, padding-oracle prone, and
   * aesgcm needs a key rotation every 200k writes), {@code rotate}, {@code retire_keys},
   * {@code backup}; {@code dryRun} comes from the envelope.
   */
  public static Request fromMap(Map<String, Object> body, boolean dryRun) {
    ClusterModel m = ClusterModel.fromRequest(body, OWN_FIELDS);
    RequestFields f = RequestOptions.fields(body, OWN_FIELDS);
    String provider = f.string("provider").orElse(DEFAULT_PROVIDER);
    if (!PROVIDERS.contains(provider)) {
      throw WorkerException.badInput("encryption.invalid_provider", "provider",
          "'" + provider + "' is not one of " + String.join(", ", PROVIDERS));
    }
    Path path = m.encryptionConfigPath() != null ? m.encryptionConfigPath() : m.kubeconfigDir().resolve(DEFAULT_FILE);
    return new Request(path, provider, f.bool("rotate", false), f.stringList("retire_keys"),
        dryRun, f.bool("backup", true));
  }

  /** Decodes and runs for the worker's {@code Capability} contract ({@code dryRun} from the envelope). */
  public PhaseResult run(Map<String, Object> body, boolean dryRun) {
    return run(fromMap(body, dryRun));
  }

  /** Runs the phase; see the class comment. Concurrent calls for one file are serialised. */
  public PhaseResult run(Request req) {
    SafeFiles files = SafeFiles.under(req.path().getParent(), "encryption", "encryption_config_path",
        SafeFiles.PRIVATE_DIRECTORY);
    try (FileReconciler r = FileReconciler.open("encryption", req.dryRun(), files)) {
      return r.finish(runLocked(r, files, req));
    }
  }

  private PhaseResult runLocked(FileReconciler rec, SafeFiles files, Request req) {
    String name = req.path().getFileName().toString();
    byte[] existing = files.rootExists() ? files.read(name, MAX_FILE).orElse(null) : null;
    List<String> warnings = new ArrayList<>();
    Instant now = clock.instant();
    Map<String, Object> doc;
    Map<String, Object> entry;
    String action;
    String reason = null;
    List<String> retired = new ArrayList<>();
    if (existing == null) {
      doc = newDocument();
      entry = secretsEntry(doc, req.path());
      providers(entry, req.path()).add(0, provider(req.provider(), newKey(now, Set.of())));
      action = "created";
    } else {
      doc = parse(existing, req.path());
      entry = secretsEntry(doc, req.path());
      List<Object> providers = providers(entry, req.path());
      String active = providerType(providers.get(0), req.path());
      action = "kept";
      if (!active.equals(req.provider())) {
        providers.add(0, provider(req.provider(), newKey(now, keyNames(providers, req.path()))));
        action = "updated";
        reason = "active provider changes from " + active + " to " + req.provider() + "; " + active
            + " stays as a decrypting provider";
      } else if (req.rotate()) {
        keys(providers.get(0), req.path()).add(0, newKey(now, keyNames(providers, req.path())));
        action = "rotated";
        reason = "new key first; old keys kept until retired";
      }
      if (!req.retireKeys().isEmpty()) {
        String activeKey = activeKeyName(providers, req.path());
        for (int i = 0; i < req.retireKeys().size(); i++) {
          String k = req.retireKeys().get(i);
          if (k.equals(activeKey)) {
            throw WorkerException.badInput("encryption.retire_active", "retire_keys[" + i + "]",
                "'" + k + "' is the active key; rotate first, then retire it");
          }
          if (removeKey(providers, k, req.path())) {
            retired.add(k);
          } else {
            warnings.add("key '" + k + "' is not in " + req.path() + " (already retired?)");
          }
        }
        if (!retired.isEmpty() && action.equals("kept")) {
          action = "updated";
          reason = "retired " + String.join(", ", retired);
        }
      }
      if (!hasIdentity(providers)) {
        warnings.add("no identity provider in " + req.path() + ": Secrets written before encryption was enabled can't be read");
      }
    }
    boolean changed = !action.equals("kept");
    String content = KubeYaml.render(doc);
    List<Object> backups = new ArrayList<>();
    if (changed) {
      rec.commit(files, List.of(new FileReconciler.Desired(name, content.getBytes(StandardCharsets.UTF_8),
          SafeFiles.PRIVATE)), req.backup(), now).forEach(p -> backups.add(p.toString()));
    }
    List<Object> providers = providers(entry, req.path());
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("path", req.path().toString());
    result.put("provider", providerType(providers.get(0), req.path()));
    result.put("active_key", activeKeyName(providers, req.path()));
    result.put("keys", keyList(providers, req.path()));
    result.put("action", action);
    if (reason != null) {
      result.put("reason", reason);
    }
    result.put("retired", retired);
    result.put("backups", backups);
    Map<String, Object> diff = null;
    if (changed) {
      diff = Map.of("before", existing == null ? "" : redacted(parse(existing, req.path())),
          "after", redacted(doc));
    }
    return new PhaseResult(changed, warnings, result, diff);
  }

  private static Map<String, Object> newDocument() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", API_VERSION);
    doc.put("kind", "EncryptionConfiguration");
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("resources", new ArrayList<>(List.of("secrets")));
    entry.put("providers", new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("identity", new LinkedHashMap<>())))));
    doc.put("resources", new ArrayList<>(List.of(entry)));
    return doc;
  }

  private Map<String, Object> newKey(Instant now, Set<String> taken) {
    String base = "key-" + NAME.format(now);
    String name = base;
    for (int i = 2; taken.contains(name); i++) {
      name = base + "-" + i;
    }
    byte[] secret = keySource.get();
    if (secret.length != KEY_BYTES) {
      throw new IllegalStateException("key source returned " + secret.length + " bytes, expected " + KEY_BYTES);
    }
    Map<String, Object> key = new LinkedHashMap<>();
    key.put("name", name);
    key.put("secret", Base64.getEncoder().encodeToString(secret));
    return key;
  }

  private static Map<String, Object> provider(String type, Map<String, Object> key) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("keys", new ArrayList<>(List.of(key)));
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(type, body);
    return p;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(byte[] content, Path path) {
    Object doc;
    try {
      doc = SafeYaml.load(new String(content, StandardCharsets.UTF_8), "encryption_config_path");
    } catch (WorkerException e) {
      throw unrecognised(path, "it is not valid YAML");
    }
    if (!(doc instanceof Map<?, ?> m) || !API_VERSION.equals(m.get("apiVersion"))
        || !"EncryptionConfiguration".equals(m.get("kind"))) {
      throw unrecognised(path, "it is not an " + API_VERSION + " EncryptionConfiguration");
    }
    return deepCopy((Map<String, Object>) m);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deepCopy(Map<String, Object> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), copyValue(v)));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object copyValue(Object v) {
    if (v instanceof Map<?, ?> m) {
      return deepCopy((Map<String, Object>) m);
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(copyValue(x)));
      return out;
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> secretsEntry(Map<String, Object> doc, Path path) {
    if (doc.get("resources") instanceof List<?> entries) {
      for (Object e : entries) {
        if (e instanceof Map<?, ?> m && m.get("resources") instanceof List<?> res && res.contains("secrets")) {
          return (Map<String, Object>) m;
        }
      }
    }
    throw unrecognised(path, "it has no resources entry for secrets");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> providers(Map<String, Object> entry, Path path) {
    if (entry.get("providers") instanceof List<?> l && !l.isEmpty()) {
      return (List<Object>) l;
    }
    throw unrecognised(path, "its secrets entry has no providers");
  }

  private static String providerType(Object provider, Path path) {
    if (provider instanceof Map<?, ?> m && m.size() == 1) {
      return String.valueOf(m.keySet().iterator().next());
    }
    throw unrecognised(path, "a provider must have exactly one type");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> keys(Object provider, Path path) {
    Map<?, ?> m = (Map<?, ?>) provider;
    Object body = m.values().iterator().next();
    if (body instanceof Map<?, ?> b && b.get("keys") instanceof List<?> keys) {
      return (List<Object>) keys;
    }
    return null;
  }

  private static String activeKeyName(List<Object> providers, Path path) {
    List<Object> k = keys(providers.get(0), path);
    if (k == null || k.isEmpty() || !(k.get(0) instanceof Map<?, ?> key)) {
      return null;
    }
    return String.valueOf(key.get("name"));
  }

  private static Set<String> keyNames(List<Object> providers, Path path) {
    Set<String> names = new HashSet<>();
    for (Object p : providers) {
      List<Object> k = keys(p, path);
      if (k != null) {
        k.forEach(x -> names.add(x instanceof Map<?, ?> m ? String.valueOf(m.get("name")) : ""));
      }
    }
    return names;
  }

  private static List<Object> keyList(List<Object> providers, Path path) {
    List<Object> out = new ArrayList<>();
    for (Object p : providers) {
      String type = providerType(p, path);
      List<Object> k = keys(p, path);
      if (k != null) {
        for (Object x : k) {
          if (x instanceof Map<?, ?> m) {
            out.add(Map.of("provider", type, "name", String.valueOf(m.get("name"))));
          }
        }
      }
    }
    return out;
  }

  private static boolean removeKey(List<Object> providers, String name, Path path) {
    boolean removed = false;
    for (Object p : new ArrayList<>(providers)) {
      List<Object> k = keys(p, path);
      if (k != null && k.removeIf(x -> x instanceof Map<?, ?> m && name.equals(m.get("name")))) {
        removed = true;
        if (k.isEmpty()) {
          providers.remove(p);
        }
      }
    }
    return removed;
  }

  private static boolean hasIdentity(List<Object> providers) {
    return providers.stream().anyMatch(p -> p instanceof Map<?, ?> m && m.containsKey("identity"));
  }

  /** Renders a configuration with every secret replaced by a marker (for diffs). */
  static String redacted(Map<String, Object> doc) {
    return KubeYaml.render(redact(doc));
  }

  private static Object redact(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), "secret".equals(k) ? "<redacted>" : redact(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(redact(x)));
      return out;
    }
    return v;
  }

  private static WorkerException unrecognised(Path path, String why) {
    return WorkerException.conflict("encryption.unrecognised", "refusing to rewrite " + path + ": " + why
        + "; fix or move the file (rewriting it could drop keys and make Secrets unreadable)");
  }
}
