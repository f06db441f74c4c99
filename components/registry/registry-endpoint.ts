// The registry as every consumer sees it: an address, how to trust it, and how to log in. `LocalRegistry` produces
// one; an existing registry can be described by hand.

import * as pulumi from "@pulumi/pulumi";
import { FieldRules, flag, input, optional, Rule, secret, shape, text } from "../internal/schema";
import {
  basicAuthUserProblem,
  passwordProblem,
  certificatePemProblem,
  registryAddressProblem,
} from "../internal/validate";

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

/** The fields of {@link RegistryEndpoint}'s schema (TroveConfig narrows the password to what an INI line holds). @internal */
export const REGISTRY_ENDPOINT_FIELDS: FieldRules<RegistryEndpoint> = {
  address: input(text("host:port, e.g. 10.0.0.5:4000", registryAddressProblem)),
  insecure: input(flag()),
  username: optional(input(text("a basic-auth user name", basicAuthUserProblem))),
  password: optional(secret(input(text("a password", passwordProblem)))),
  caCertificatePem: optional(input(text("a PEM certificate", certificatePemProblem))),
};

/** Basic auth needs both a user name and a password. @internal */
export function registryCredentialPairs(
  e: RegistryEndpoint,
  report: (field: string, value: unknown, allowed: string) => void,
): void {
  if (e.password !== undefined && e.username === undefined)
    report("username", undefined, "required when password is given: basic auth needs both");
  if (e.username !== undefined && e.password === undefined)
    report("password", undefined, "required when username is given: basic auth needs both");
}

/** The schema of {@link RegistryEndpoint}: checked by every component that takes one. @internal */
export const REGISTRY_ENDPOINT_SCHEMA: Rule = shape<RegistryEndpoint>(
  "a registry endpoint { address, insecure, username?, password?, caCertificatePem? }",
  REGISTRY_ENDPOINT_FIELDS,
  registryCredentialPairs,
);
