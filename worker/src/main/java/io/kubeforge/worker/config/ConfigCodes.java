package io.kubeforge.worker.config;

/** ConfigCodes holds the stable error codes of configuration input. */
public final class ConfigCodes {
  /** The YAML is malformed, too large, uses tags or too many aliases. */
  public static final String INVALID_YAML = "config.invalid_yaml";
  /** A field kubeadm's schema does not have. */
  public static final String UNKNOWN_FIELD = "config.unknown_field";
  /** A field of the wrong type. */
  public static final String WRONG_TYPE = "config.wrong_type";
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
  /** A required value that is absent. */
  public static final String MISSING_FIELD = "config.missing_field";
  /** A relative or otherwise unusable path. */
  public static final String INVALID_PATH = "config.invalid_path";

  private ConfigCodes() {}
}
