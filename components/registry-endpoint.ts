// The registry as every consumer sees it: an address, how to trust it, and how to log in. `LocalRegistry` produces
// one; an existing registry can be described by hand.

import * as pulumi from "@pulumi/pulumi";

/** How to reach and authenticate to a container registry. */
export interface RegistryEndpoint {
  /** `host:port` that both the pipeline and the guest instances use. Example: `10.0.0.5:4000`. */
  address: pulumi.Input<string>;
  /** True when clients must use plain HTTP or skip TLS verification (then Trove needs `docker_insecure_registries`). */
  insecure: pulumi.Input<boolean>;
  /** User name for basic auth, when the registry requires it. */
  username?: pulumi.Input<string>;
  /** Password for basic auth; keep it a `pulumi.secret`. */
  password?: pulumi.Input<string>;
  /** PEM of the CA that signed the registry's certificate, when it is not publicly trusted. */
  caCertificatePem?: pulumi.Input<string>;
}
