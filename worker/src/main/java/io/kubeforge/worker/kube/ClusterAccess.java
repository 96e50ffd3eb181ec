package io.kubeforge.worker.kube;

import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * ClusterAccess reads the options every cluster call shares and opens its client:
 * {@code kubeconfig} (default {@code <kubeconfig_dir>/admin.conf}), {@code kubeconfig_dir}
 * (default {@code /etc/kubernetes}) and {@code timeout} (seconds per API operation, retries
 * included; default 30). When the kubeconfig is an {@code admin.conf}, the
 * {@code kubeadm:cluster-admins} binding is ensured first ({@link ClusterAdmins}), with the
 * {@code super-admin.conf} beside it as the fallback, so admin.conf has its rights. The
 * check runs on every call: with the cached client ({@link KubeClient#fromKubeconfig}) it is two
 * requests on the kept-alive connection, and skipping it would turn a binding deleted behind the
 * worker's back from repaired into a 403.
 */
public final class ClusterAccess {
  /** The option names this reads. */
  public static final Set<String> FIELDS = Set.of("kubeconfig", "kubeconfig_dir", "timeout");
  /** Default of {@code kubeconfig_dir}. */
  public static final String DEFAULT_KUBECONFIG_DIR = "/etc/kubernetes";
  /** Default of {@code timeout}, in seconds. */
  public static final long DEFAULT_TIMEOUT_SECONDS = 30;
  /**
   * At most 10 minutes per API operation: a call must end within the worker's idle timeout
   * ({@code WorkerServer.IDLE_TIMEOUT_S}), which closes a connection that carries no bytes.
   */
  public static final long MAX_TIMEOUT_S = 600;

  private ClusterAccess() {}

  /**
   * An open client.
   *
   * @param client the client (close it)
   * @param clusterAdmins the binding step's outcome, or null when the kubeconfig is not an admin.conf
   */
  public record Opened(KubeClient client, ClusterAdmins.Result clusterAdmins) implements AutoCloseable {
    /** The binding's fact ({@code kind, name, action, via}), or null. */
    public Map<String, Object> clusterAdminsFact() {
      if (clusterAdmins == null) {
        return null;
      }
      Map<String, Object> fact = new java.util.LinkedHashMap<>(clusterAdmins.applied().fact());
      fact.put("via", clusterAdmins.via().getFileName().toString());
      return fact;
    }

    @Override
    public void close() {
      client.close();
    }
  }

  /** Reads the shared options (already checked for unknown fields) and opens the client. */
  public static Opened open(RequestFields f, boolean dryRun) {
    Path dir = InputPaths.directory(f.string("kubeconfig_dir").orElse(DEFAULT_KUBECONFIG_DIR), "kubeconfig_dir");
    Path kubeconfig = InputPaths.file(f.string("kubeconfig").orElse(dir.resolve("admin.conf").toString()), "kubeconfig");
    long seconds = f.integer("timeout", DEFAULT_TIMEOUT_SECONDS);
    if (seconds < 1 || seconds > MAX_TIMEOUT_S) {
      throw WorkerException.badInput("request.invalid_value", "timeout", "must be between 1 and " + MAX_TIMEOUT_S
          + " seconds");
    }
    Duration timeout = Duration.ofSeconds(seconds);
    KubeClient client = KubeClient.fromKubeconfig(kubeconfig, timeout);
    if (!kubeconfig.getFileName().toString().equals("admin.conf")) {
      return new Opened(client, null);
    }
    try {
      ClusterAdmins.Result r = ClusterAdmins.ensure(client, kubeconfig.resolveSibling("super-admin.conf"), timeout, dryRun);
      if (dryRun && r.applied().action() == Action.CREATED && !r.via().equals(kubeconfig)) {
        // check mode on a fresh cluster: admin.conf has no rights yet; read with super-admin.conf
        client.close();
        return new Opened(KubeClient.fromKubeconfig(r.via(), timeout), r);
      }
      return new Opened(client, r);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }
}
