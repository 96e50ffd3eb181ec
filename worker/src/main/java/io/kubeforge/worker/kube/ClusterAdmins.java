package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * ClusterAdmins ensures the {@code kubeadm:cluster-admins} ClusterRoleBinding (Group
 * {@code kubeadm:cluster-admins} → ClusterRole {@code cluster-admin}) that gives admin.conf its
 * rights, as kubeadm 1.29+ does ({@code EnsureAdminClusterRoleBindingImpl}): first with
 * admin.conf itself; when the server refuses it (no rights yet), with super-admin.conf
 * ({@code system:masters}), then the caller goes on with admin.conf. Every cluster step that uses
 * admin.conf calls this first.
 */
public final class ClusterAdmins {
  /** The binding's and the group's name. */
  public static final String NAME = "kubeadm:cluster-admins";
  private static final long RIGHTS_POLL_MS = 100;

  private ClusterAdmins() {}

  /**
   * What happened.
   *
   * @param applied the binding and whether it was created
   * @param via the kubeconfig that applied it: admin.conf, or super-admin.conf as the fallback
   */
  public record Result(Applied applied, Path via) {}

  /**
   * The binding as kubeadm creates it, its subject with the API group the server defaults: the
   * subjects list is atomic, so applying it without that group conflicts with a binding kubeadm
   * (or anyone) created, where equal values would merely share the field.
   */
  public static ObjectNode binding() {
    ObjectNode crb = new ObjectMapper().createObjectNode()
        .put("apiVersion", "rbac.authorization.k8s.io/v1").put("kind", "ClusterRoleBinding");
    crb.putObject("metadata").put("name", NAME);
    crb.putObject("roleRef").put("apiGroup", "rbac.authorization.k8s.io").put("kind", "ClusterRole")
        .put("name", "cluster-admin");
    crb.putArray("subjects").addObject().put("apiGroup", "rbac.authorization.k8s.io").put("kind", "Group")
        .put("name", NAME);
    return crb;
  }

  /**
   * Ensures the binding with {@code admin} (an open admin.conf client), falling back to
   * {@code superAdminConf} when admin.conf may not write it.
   */
  public static Result ensure(KubeClient admin, Path superAdminConf, Duration timeout, boolean dryRun) {
    try {
      return new Result(admin.apply(binding(), false, dryRun), admin.kubeconfig().path());
    } catch (KubeException e) {
      if (e.apiStatus() != 403) {
        throw e;
      }
    }
    if (!Files.exists(superAdminConf)) {
      throw WorkerException.conflict("kube.no_super_admin", "the ClusterRoleBinding for the " + NAME
          + " Group is missing and " + admin.kubeconfig().user() + " may not create it, but there is no "
          + superAdminConf + " to create it");
    }
    Result r;
    try (KubeClient superAdmin = KubeClient.fromKubeconfig(superAdminConf, timeout)) {
      r = new Result(superAdmin.apply(binding(), false, dryRun), superAdminConf);
    }
    if (!dryRun && r.applied().action() == Action.CREATED) {
      awaitRights(admin, timeout);
    }
    return r;
  }

  /**
   * Beyond kubeadm, which goes on at once: waits (bounded by {@code timeout}) until the API server's
   * RBAC authorizer has seen the binding, so admin.conf's next request is not a 403. Its informer
   * takes milliseconds, more on a loaded machine; reading the binding with admin.conf is the probe.
   */
  private static void awaitRights(KubeClient admin, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        admin.get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, NAME);
        return;
      } catch (KubeException e) {
        if (e.apiStatus() != 403 || System.nanoTime() >= deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(RIGHTS_POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw WorkerException.conflict("kube.interrupted", "interrupted while waiting for the " + NAME + " binding");
      }
    }
  }

}
