/**
 * PHASE: BOOTSTRAP TOKENS (kubeadm {@code init phase bootstrap-token} token part,
 * {@code kubeadm token create|delete|list}; {@code cmd/kubeadm/app/phases/bootstraptoken/node}).
 *
 * <p>INPUTS: from {@code POST /v1/bootstrap-token}: {@code state} (present, absent, list),
 * {@code token}, {@code token_id}, {@code ttl}, {@code usages}, {@code groups},
 * {@code description}, {@code certificate_key} (for the control-plane join command), and the
 * cluster options of {@link io.kubeforge.worker.kube.ClusterAccess}.
 *
 * <p>OUTPUTS: the {@code kube-system/bootstrap-token-<id>} Secret exactly as kubeadm writes it;
 * as data the token (for the caller to keep secret), its id, expiry, the CA pin and the join
 * commands. An existing token keeps its expiry (kubeadm would extend it on every run), so a second
 * run writes nothing; without {@code token}, an unexpired token with the same description, usages
 * and groups is reused instead of making a new one each run.
 */
package io.kubeforge.worker.bootstraptoken;
