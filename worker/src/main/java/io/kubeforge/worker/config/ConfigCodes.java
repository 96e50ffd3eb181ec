package io.kubeforge.worker.config;

import io.kubeforge.worker.support.RequestFields;

/**
 * ConfigCodes holds the stable error codes of client input: one code per kind of bad input,
 * whether it came as a snake_case option or inside {@code kubeadm_config}.
 */
public final class ConfigCodes {
  /** The YAML is malformed, too large, uses tags or too many aliases. */
  public static final String INVALID_YAML = "config.invalid_yaml";
  /** A field kubeadm's schema (or the request) does not have: one code for YAML and JSON alike. */
  public static final String UNKNOWN_FIELD = RequestFields.UNKNOWN_FIELD;
  /** A field of the wrong type, in YAML or JSON. */
  public static final String WRONG_TYPE = RequestFields.WRONG_TYPE;
  /** An apiVersion/kind kubeadm does not read. */
  public static final String UNSUPPORTED_KIND = "config.unsupported_kind";
  /** A malformed CIDR. */
  public static final String INVALID_CIDR = "config.invalid_cidr";
  /** A malformed IP address or host:port. */
  public static final String INVALID_ADDRESS = "config.invalid_address";
  /** A malformed or non-positive Go duration. */
  public static final String INVALID_DURATION = "config.invalid_duration";
  /** Any other invalid value. */
  public static final String INVALID_VALUE = "config.invalid_value";
  /** A required value that is absent, in YAML or JSON. */
  public static final String MISSING_FIELD = RequestFields.MISSING_FIELD;
  /** An extra SAN that is neither an IP address, nor an RFC 1123 name, nor a wildcard. */
  public static final String INVALID_SAN = "config.invalid_san";
  /** A relative, over-long or otherwise unusable path (see {@link InputPaths}). */
  public static final String INVALID_PATH = "config.invalid_path";

  private ConfigCodes() {}
}
