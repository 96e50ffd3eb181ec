package io.kubeforge.worker.api;

import io.kubeforge.worker.certinfo.CertInfoOptions;
import io.kubeforge.worker.certinfo.CertInfoPhase;
import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ExpiryMetrics is the {@code cert-info} report as Prometheus gauges, one series per item
 * ({@code group}, {@code name}, {@code path} labels):
 * {@code kubeforge_certificate_expiry_timestamp_seconds} (the end of validity, Unix time),
 * {@code kubeforge_certificate_residual_seconds} (time left when scraped, negative once expired),
 * {@code kubeforge_certificate_verified} (1 or 0, for items with something on disk to verify
 * against) and {@code kubeforge_certificate_read_errors} (items that exist but could not be read).
 * Missing items have no series.
 *
 * <p>Which folders are read comes from {@code <home>/metrics.yaml} ({@code cert_dir},
 * {@code kubeconfig_dir}, {@code kubelet_cert_dir}, with cert-info's rules and kubeadm's
 * defaults when the file or a field is absent). It is read again on every scrape, so a change
 * needs no restart, and it applies whichever launcher started the worker.
 */
public final class ExpiryMetrics {
  /** Name of the configuration file in the worker home. */
  public static final String CONFIG_FILE = "metrics.yaml";
  private static final Set<String> CONFIG_FIELDS = Set.of("cert_dir", "kubeconfig_dir", "kubelet_cert_dir");

  private final Path configFile;
  private final CertInfoPhase phase;
  private final AtomicInteger readErrors = new AtomicInteger();
  private PrometheusMeterRegistry registry;
  private MultiGauge expiry;
  private MultiGauge residual;
  private MultiGauge verified;

  /** Creates the gauges over the system clock; {@code configFile} need not exist. */
  public ExpiryMetrics(Path configFile) {
    this(configFile, new CertInfoPhase());
  }

  /**
   * Prepares the gauges; {@code configFile} need not exist. The registry is made on the first
   * scrape, so a worker nobody scrapes does not load Micrometer (idle RSS).
   */
  public ExpiryMetrics(Path configFile, CertInfoPhase phase) {
    this.configFile = configFile;
    this.phase = phase;
  }

  /** The registry the scraping handler serves, made with its gauges on first use. */
  public synchronized PrometheusMeterRegistry registry() {
    if (registry != null) {
      return registry;
    }
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    expiry = MultiGauge.builder("kubeforge.certificate.expiry.timestamp").baseUnit("seconds")
        .description("End of validity of the certificate (NotAfter), Unix time").register(registry);
    residual = MultiGauge.builder("kubeforge.certificate.residual").baseUnit("seconds")
        .description("Time left until the certificate expires, as of the scrape; negative once expired")
        .register(registry);
    verified = MultiGauge.builder("kubeforge.certificate.verified")
        .description("1 when the certificate verifies against the CA on disk, 0 when it does not")
        .register(registry);
    Gauge.builder("kubeforge.certificate.read.errors", readErrors, AtomicInteger::get)
        .description("Certificate files that exist but could not be read (see the worker log)")
        .register(registry);
    return registry;
  }

  /**
   * Reads the configuration and every certificate again and replaces the series (an item that
   * disappeared loses its series). Blocking: call it off the event loop. A configuration file
   * that is not usable is a 409 {@code metrics.invalid_config} naming its field.
   */
  public synchronized void refresh() {
    registry();
    CertInfoPhase.Report report = phase.report(options());
    List<MultiGauge.Row<?>> expiryRows = new ArrayList<>();
    List<MultiGauge.Row<?>> residualRows = new ArrayList<>();
    List<MultiGauge.Row<?>> verifiedRows = new ArrayList<>();
    int errors = 0;
    for (CertInfoPhase.Item item : report.items()) {
      if (item.error() != null) {
        errors++;
      }
      if (item.cert() == null) {
        continue;
      }
      Tags tags = Tags.of("group", item.group(), "name", item.name(), "path",
          (item.certificatePath() == null ? item.path() : item.certificatePath()).toString());
      expiryRows.add(MultiGauge.Row.of(tags, item.notAfter().getEpochSecond()));
      residualRows.add(MultiGauge.Row.of(tags, report.residualSeconds(item)));
      if (item.verified() != null) {
        verifiedRows.add(MultiGauge.Row.of(tags, item.verified() ? 1 : 0));
      }
    }
    expiry.register(expiryRows, true);
    residual.register(residualRows, true);
    verified.register(verifiedRows, true);
    readErrors.set(errors);
  }

  private CertInfoOptions options() {
    if (!Files.exists(configFile)) {
      return CertInfoOptions.defaults();
    }
    try {
      if (!Files.isRegularFile(configFile) || Files.size(configFile) > SafeYaml.MAX_CHARS) {
        throw WorkerException.conflict("metrics.invalid_config", configFile.toString(),
            configFile + " is not a regular file of at most " + SafeYaml.MAX_CHARS + " bytes");
      }
      Object doc = SafeYaml.load(Files.readString(configFile, StandardCharsets.UTF_8), CONFIG_FILE);
      Map<String, Object> fields = new LinkedHashMap<>();
      if (doc instanceof Map<?, ?> m) {
        m.forEach((k, v) -> fields.put(String.valueOf(k), v));
      } else if (doc != null) {
        throw WorkerException.badInput("metrics.invalid_config", CONFIG_FILE, "must be a mapping");
      }
      RequestFields.of(fields, CONFIG_FIELDS);
      return CertInfoOptions.fromMap(fields);
    } catch (WorkerException e) {
      throw WorkerException.conflict("metrics.invalid_config", e.field(),
          configFile + ": " + e.getMessage());
    } catch (IOException e) {
      throw WorkerException.conflict("metrics.invalid_config", configFile.toString(),
          configFile + " could not be read: " + e.getClass().getSimpleName());
    }
  }
}
