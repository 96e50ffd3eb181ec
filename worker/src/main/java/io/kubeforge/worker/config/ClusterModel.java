package io.kubeforge.worker.config;

import io.kubeforge.worker.pki.AltNames;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.PkiOptions;
import io.kubeforge.worker.support.IpAddresses;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * ClusterModel is the one resolved, defaulted and validated view of a kubeadm configuration that
 * the kubeconfig, static Pod, encryption and kubelet phases (and the PKI) read. It is built from
 * kubeadm's own {@code InitConfiguration}/{@code ClusterConfiguration}/{@code JoinConfiguration}
 * YAML, from the modules' snake_case options, or from both: options override the YAML.
 *
 * @param certDir {@code certificatesDir} / {@code cert_dir}
 * @param kubeconfigDir where kubeconfig files live ({@code kubeconfig_dir})
 * @param manifestDir where static Pod manifests live ({@code manifest_dir})
 * @param kubeletConfigPath where the KubeletConfiguration is written
 * @param encryptionConfigPath the API server's EncryptionConfiguration, or null when not used
 * @param nodeName {@code nodeRegistration.name}
 * @param advertiseAddress {@code localAPIEndpoint.advertiseAddress}, normalised, or null when unknown
 * @param bindPort {@code localAPIEndpoint.bindPort}
 * @param controlPlaneEndpoint {@code controlPlaneEndpoint}, or null
 * @param serviceSubnet {@code networking.serviceSubnet}, one CIDR or two comma-separated
 * @param podSubnet {@code networking.podSubnet}, or null
 * @param dnsDomain {@code networking.dnsDomain}
 * @param clusterName {@code clusterName}
 * @param kubernetesVersion {@code kubernetesVersion}, always with a leading {@code v}
 * @param imageRepository {@code imageRepository}
 * @param apiServerCertSans {@code apiServer.certSANs}
 * @param etcd local or external etcd
 * @param keyAlgorithm {@code encryptionAlgorithm} (kubeadm's names, e.g. {@code RSA-2048})
 * @param certificateValidity {@code certificateValidityPeriod}
 * @param caCertificateValidity {@code caCertificateValidityPeriod}
 * @param apiServer extras of kube-apiserver
 * @param controllerManager extras of kube-controller-manager
 * @param scheduler extras of kube-scheduler
 * @param criSocket {@code nodeRegistration.criSocket}
 * @param controlPlaneComponentHealthCheck {@code timeouts.controlPlaneComponentHealthCheck}
 * @param featureGates kubeadm feature gates (kept, not interpreted)
 * @param joinConfiguration true when the YAML held a JoinConfiguration (no InitConfiguration)
 * @param kubeletConfiguration a user-supplied KubeletConfiguration document, empty when none
 * @param kubeletExtraArgs {@code nodeRegistration.kubeletExtraArgs}
 * @param taints {@code nodeRegistration.taints}: null when not given (a control-plane node then
 *     gets kubeadm's control-plane taint), empty for {@code taints: []} (no taint)
 * @param dns {@code dns}: the CoreDNS image overrides and {@code dns.disabled}
 * @param proxyDisabled {@code proxy.disabled}
 * @param skipPhases {@code InitConfiguration.skipPhases}, as given (kubeadm's phase names)
 * @param kubeProxyConfiguration a user-supplied KubeProxyConfiguration document, empty when none
 * @param ignorePreflightErrors {@code nodeRegistration.ignorePreflightErrors}, as written (the
 *     preflight phase merges them with its {@code ignore} option, as kubeadm merges them with
 *     {@code --ignore-preflight-errors})
 * @param bootstrapTokens {@code InitConfiguration.bootstrapTokens}, defaulted, empty when not given
 */
public record ClusterModel(
    Path certDir, Path kubeconfigDir, Path manifestDir, Path kubeletConfigPath, Path encryptionConfigPath,
    String nodeName, String advertiseAddress, int bindPort, String controlPlaneEndpoint,
    String serviceSubnet, String podSubnet, String dnsDomain, String clusterName,
    String kubernetesVersion, String imageRepository, List<String> apiServerCertSans,
    EtcdConfig etcd, String keyAlgorithm, Duration certificateValidity, Duration caCertificateValidity,
    ComponentExtras apiServer, ComponentExtras controllerManager, ComponentExtras scheduler,
    String criSocket, Duration controlPlaneComponentHealthCheck, Map<String, Boolean> featureGates,
    boolean joinConfiguration, Map<String, Object> kubeletConfiguration, List<Arg> kubeletExtraArgs,
    List<NodeTaint> taints, DnsAddon dns, boolean proxyDisabled, List<String> skipPhases,
    Map<String, Object> kubeProxyConfiguration, List<String> ignorePreflightErrors,
    List<BootstrapTokenConfig> bootstrapTokens) {

  public ClusterModel {
    apiServerCertSans = List.copyOf(apiServerCertSans);
    featureGates = Map.copyOf(featureGates);
    kubeletExtraArgs = List.copyOf(kubeletExtraArgs);
    taints = taints == null ? null : List.copyOf(taints);
    skipPhases = List.copyOf(skipPhases);
    ignorePreflightErrors = List.copyOf(ignorePreflightErrors);
    bootstrapTokens = List.copyOf(bootstrapTokens);
  }

  /**
   * Returns the taints of this control-plane node: {@code nodeRegistration.taints}, or kubeadm's
   * control-plane taint when the list was not given ({@code SetNodeRegistrationDynamicDefaults}).
   */
  public List<NodeTaint> controlPlaneTaints() {
    return taints == null ? List.of(NodeTaint.CONTROL_PLANE) : taints;
  }

  /** Returns a copy with other control-plane taints (null: kubeadm's default). */
  public ClusterModel withTaints(List<NodeTaint> other) {
    return new ClusterModel(certDir, kubeconfigDir, manifestDir, kubeletConfigPath, encryptionConfigPath, nodeName,
        advertiseAddress, bindPort, controlPlaneEndpoint, serviceSubnet, podSubnet, dnsDomain, clusterName,
        kubernetesVersion, imageRepository, apiServerCertSans, etcd, keyAlgorithm, certificateValidity,
        caCertificateValidity, apiServer, controllerManager, scheduler, criSocket, controlPlaneComponentHealthCheck,
        featureGates, joinConfiguration, kubeletConfiguration, kubeletExtraArgs, other, dns, proxyDisabled, skipPhases,
        kubeProxyConfiguration, ignorePreflightErrors, bootstrapTokens);
  }

  /**
   * Returns a copy with the addons' {@code disabled} flags set, as kubeadm's
   * {@code manageSkippedAddons} sets them from the skipped phases before uploading the config.
   */
  public ClusterModel withAddonsDisabled(boolean dnsOff, boolean proxyOff) {
    return new ClusterModel(certDir, kubeconfigDir, manifestDir, kubeletConfigPath, encryptionConfigPath, nodeName,
        advertiseAddress, bindPort, controlPlaneEndpoint, serviceSubnet, podSubnet, dnsDomain, clusterName,
        kubernetesVersion, imageRepository, apiServerCertSans, etcd, keyAlgorithm, certificateValidity,
        caCertificateValidity, apiServer, controllerManager, scheduler, criSocket, controlPlaneComponentHealthCheck,
        featureGates, joinConfiguration, kubeletConfiguration, kubeletExtraArgs, taints,
        new DnsAddon(dnsOff, dns.imageRepository(), dns.imageTag()), proxyOff, skipPhases, kubeProxyConfiguration,
        ignorePreflightErrors, bootstrapTokens);
  }

  /** Tells whether a kubeadm feature gate is on, given its default. */
  public boolean featureGate(String name, boolean defaultValue) {
    return featureGates.getOrDefault(name, defaultValue);
  }

  /**
   * Builds the model from a request body: {@code kubeadm_config} (YAML text, or an absolute path
   * to a YAML file) and/or the snake_case options of {@link RequestOptions#MODEL_FIELDS}; any
   * other field is refused as unknown. Options that are given (not null) override the YAML.
   */
  public static ClusterModel fromRequest(Map<String, Object> body) {
    return fromRequest(body, Set.of());
  }

  /**
   * Same as {@link #fromRequest(Map)}, also allowing the capability's own fields
   * ({@code dry_run}, {@code backup}, ...), which are ignored here.
   */
  public static ClusterModel fromRequest(Map<String, Object> body, Set<String> ownFields) {
    return RequestOptions.toModel(body, ownFields);
  }

  /** The fields of {@code POST /v1/pki} besides the model's. */
  public static final Set<String> PKI_FIELDS = Set.of("dry_run", "backup", "reissue_on_name_change", "reissue_new_key");

  /**
   * Reads a {@code POST /v1/pki} body (the model's options and/or {@code kubeadm_config}, plus
   * {@code backup}) into the PKI phase's inputs, through the same model as every capability.
   */
  public static PkiOptions pkiRequest(Map<String, Object> body) {
    ClusterModel m = fromRequest(body, PKI_FIELDS);
    RequestFields f = RequestOptions.fields(body, PKI_FIELDS);
    boolean onNameChange = f.bool("reissue_on_name_change", false);
    boolean newKey = f.bool("reissue_new_key", false);
    if (newKey && !onNameChange) {
      throw WorkerException.badInput("pki.reissue_new_key_without_name_change", "reissue_new_key",
          "reissue_new_key applies only with reissue_on_name_change: true");
    }
    return m.pkiOptions(f.bool("backup", true), onNameChange, newKey);
  }

  /**
   * Returns the PKI phase's view of this model. Nothing is validated here: the builder has
   * already checked every value, so this only changes representations.
   */
  public PkiOptions pkiOptions(boolean backup) {
    return pkiOptions(backup, false, false);
  }

  /** Same as {@link #pkiOptions(boolean)}, with the name-change options of {@code POST /v1/pki}. */
  public PkiOptions pkiOptions(boolean backup, boolean reissueOnNameChange, boolean newKeyOnNameChange) {
    InetAddress advertise = IpAddresses.parse(requireAdvertiseAddress()).orElseThrow();
    Optional<PkiOptions.Endpoint> endpoint = controlPlaneEndpointOpt().map(e -> {
      HostPort hp = HostPort.parse(e, "control_plane_endpoint");
      return new PkiOptions.Endpoint(hp.host(), hp.port() == null ? bindPort : hp.port());
    });
    List<IpAddresses.Cidr> subnets = serviceSubnets().stream().map(c -> IpAddresses.Cidr.parse(c).orElseThrow()).toList();
    LocalEtcd local = etcd.local();
    return new PkiOptions(certDir, nodeName, advertise, bindPort, endpoint, subnets, dnsDomain,
        AltNames.parseExtra(apiServerCertSans),
        AltNames.parseExtra(local == null ? List.of() : local.serverCertSans()),
        AltNames.parseExtra(local == null ? List.of() : local.peerCertSans()),
        local != null, KeyAlgorithm.byId(keyAlgorithm).orElseThrow(), certificateValidity, caCertificateValidity,
        backup, reissueOnNameChange, newKeyOnNameChange);
  }

  /** Returns the advertise address or fails with a bad-input error naming {@code advertise_address}. */
  public String requireAdvertiseAddress() {
    if (advertiseAddress == null) {
      throw WorkerException.badInput(ConfigCodes.MISSING_FIELD, "advertise_address",
          "is required (or localAPIEndpoint.advertiseAddress in kubeadm_config)");
    }
    return advertiseAddress;
  }

  /** Tells whether the advertise address is IPv6. */
  public boolean advertiseIpv6() {
    return advertiseAddress != null && advertiseAddress.indexOf(':') >= 0;
  }

  /** Returns the service CIDRs, first one first. */
  public List<String> serviceSubnets() {
    return List.of(serviceSubnet.split(","));
  }

  /**
   * Returns the cluster DNS service address: the 10th IP of the first service CIDR, as kubeadm's
   * {@code GetDNSIP}.
   */
  public String clusterDnsIp() {
    IpAddresses.Cidr cidr = IpAddresses.Cidr.parse(serviceSubnets().get(0)).orElseThrow();
    InetAddress ip = IpAddresses.indexed(cidr, 10);
    return IpAddresses.format(ip);
  }

  /** Returns {@code host:port} of the local API endpoint ({@code [v6]:port} for IPv6). */
  public String localEndpointHostPort() {
    return Endpoints.joinHostPort(requireAdvertiseAddress(), bindPort);
  }

  /** Returns the extras of the local etcd member, or none for external etcd. */
  public ComponentExtras etcdExtras() {
    return etcd.local() == null ? ComponentExtras.NONE : etcd.local().extra();
  }

  /** Returns the optional control-plane endpoint. */
  public Optional<String> controlPlaneEndpointOpt() {
    return Optional.ofNullable(controlPlaneEndpoint);
  }
}
