/**
 * The API server's encryption-at-rest configuration (beyond kubeadm).
 *
 * <p>Inputs: {@code encryption_config_path}, {@code provider} ({@code aescbc}, {@code aesgcm},
 * {@code secretbox}), {@code rotate}, {@code retire_keys}; keys from a {@link java.security.SecureRandom}.
 *
 * <p>Outputs: an {@code apiserver.config.k8s.io/v1} {@code EncryptionConfiguration} for
 * {@code secrets} with the chosen provider first and {@code identity} last, mode 0600, written
 * atomically; the static Pod phase wires it into kube-apiserver when the model names the path.
 */
package io.kubeforge.worker.encryption;
