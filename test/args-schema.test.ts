// Generated from the schemas: for every public Args type and every field of it (nested ones included), fast-check makes
// values of the wrong type, the wrong shape and the wrong content, and each must be refused at construction with one
// ComponentInputError that names the component and the field: never a TypeError, never a value that reaches a command,
// and never a resource declared before the refusal. The examples below are valid arguments the values are put into;
// a test checks that together they reach every field the schemas know, so a new field cannot escape this test.

import * as docker from "@pulumi/docker";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, MockState } from "./support/pulumi-mocks";
import { testHostKey } from "./support/ssh-keys";
import type { Rule } from "../components/internal/schema";

let mocks: MockState;
let m: {
  schema: typeof import("../components/internal/schema.js");
  check: typeof import("../components/internal/check-args.js");
  errors: typeof import("../components/internal/errors.js");
  catalog: typeof import("../components/catalog/catalog.js");
  build: typeof import("../components/image/guest-image-build.js");
  glance: typeof import("../components/image/glance-image.js");
  registry: typeof import("../components/registry/local-registry.js");
  images: typeof import("../components/registry/datastore-images.js");
  version: typeof import("../components/trove/datastore-version.js");
  params: typeof import("../components/trove/configuration-parameters.js");
  config: typeof import("../components/trove/trove-config.js");
  pipeline: typeof import("../components/pipeline/pipeline.js");
  endpoint: typeof import("../components/registry/registry-endpoint.js");
};

beforeAll(async () => {
  mocks = await installMocks({ outputs: () => undefined });
  m = {
    schema: await import("../components/internal/schema.js"),
    check: await import("../components/internal/check-args.js"),
    errors: await import("../components/internal/errors.js"),
    catalog: await import("../components/catalog/catalog.js"),
    build: await import("../components/image/guest-image-build.js"),
    glance: await import("../components/image/glance-image.js"),
    registry: await import("../components/registry/local-registry.js"),
    images: await import("../components/registry/datastore-images.js"),
    version: await import("../components/trove/datastore-version.js"),
    params: await import("../components/trove/configuration-parameters.js"),
    config: await import("../components/trove/trove-config.js"),
    pipeline: await import("../components/pipeline/pipeline.js"),
    endpoint: await import("../components/registry/registry-endpoint.js"),
  };
});

const ssh = {
  host: "10.0.0.5",
  port: 22,
  user: "stack",
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
  hostKey: testHostKey(),
};
const sshByPassword = { host: "build.example.com", user: "stack", password: "pw", insecureIgnoreHostKey: true };
const endpoint = {
  address: "10.0.0.5:4000",
  insecure: false,
  username: "trove",
  password: "pw",
  caCertificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
};
const cert = endpoint.caCertificatePem;
const key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const uuid = "8a4c2e5e-6b1f-4c1e-9a57-0c3b5c1d2e3f";

/** Each public Args type: how to construct it, and valid examples that together reach every field. */
interface Subject {
  component: string;
  schema: () => Rule;
  make: (args: unknown) => unknown;
  examples: () => Record<string, unknown>[];
}

const buildFull = {
  buildCheckout: { dir: "/opt/stack/trove", ref: "stable/2024.1" },
  guestOs: "ubuntu",
  guestOsRelease: "jammy",
  devMode: true,
  guestUsername: "ubuntu",
  outputImagePath: "$HOME/images/guest.qcow2",
  hostScpUsername: "stack",
  cloudInitDatasources: ["ConfigDrive", "OpenStack"],
  localElementsPath: "/opt/elements",
  environment: { GUEST_IMAGESIZE: "6" },
  buildHost: ssh,
  fetchImage: { path: "/var/tmp/guest.qcow2", knownHostsFile: undefined },
  troveRelease: "2024.1",
  allowUntested: false,
};

const subjects: Subject[] = [
  {
    component: "GuestImageBuild",
    schema: () => m.build.GUEST_IMAGE_BUILD_SCHEMA,
    make: (a) => new m.build.GuestImageBuild("gen", a as never),
    examples: () => [
      { ...buildFull, preloadImages: ["10.0.0.5:4000/trove/mysql:8.4"], troveRelease: "2026.2", allowUntested: true },
      { existingImagePath: "/var/tmp/guest.qcow2", buildHost: sshByPassword },
      { imageUrl: "https://example.com/guest.qcow2" },
      // The former names of buildCheckout.dir and buildCheckout.ref, still taken.
      { troveSourceDir: "/opt/stack/trove", troveRef: "stable/2024.1" },
    ],
  },
  {
    component: "GlanceImage",
    schema: () => m.glance.GLANCE_IMAGE_SCHEMA,
    make: (a) => new m.glance.GlanceImage("gen", a as never),
    examples: () => [
      {
        image: { path: "/var/tmp/guest.qcow2", diskFormat: "qcow2", sha256: "a".repeat(64) },
        datastores: ["mysql"],
        name: "guest",
        visibility: "private",
        minDiskGb: 5,
        minRamMb: 512,
        properties: { hw_rng_model: "virtio" },
        protected: false,
        catalog: m.catalog.defaultCatalog,
        guestOs: "ubuntu",
        guestOsRelease: "jammy",
        keepImages: 2,
        serve: "previous",
        keepImageIds: ["0b5a3d6e-8c1f-4f7a-9d2e-3c4b5a6d7e8f"],
        retainedDatastores: ["postgresql"],
        checkQuota: true,
        checkTrovePins: false,
        cloud: "mycloud",
        region: "RegionOne",
      },
      { image: { url: "https://example.com/guest.qcow2", diskFormat: "qcow2" }, datastores: ["mysql"] },
    ],
  },
  {
    component: "LocalRegistry",
    schema: () => m.registry.LOCAL_REGISTRY_SCHEMA,
    make: (a) => new m.registry.LocalRegistry("gen", a as never),
    examples: () => [
      {
        advertisedHost: "10.0.0.5",
        port: 4000,
        bindAddress: "0.0.0.0",
        image: "registry:2",
        storagePath: "/opt/trove_registry",
        containerName: "registry",
        auth: { username: "trove", password: "pw", realm: "trove" },
        tls: { certificatePem: cert, privateKeyPem: key, caCertificatePem: cert },
        deleteEnabled: false,
        dockerProvider: new docker.Provider("gen-docker"),
      },
      { advertisedHost: "registry.example.com", tls: { generate: true, validityDays: 30 } },
    ],
  },
  {
    component: "DatastoreImages",
    schema: () => m.images.DATASTORE_IMAGES_SCHEMA,
    make: (a) => new m.images.DatastoreImages("gen", a as never),
    examples: () => [
      {
        registry: endpoint,
        versions: [{ datastore: "mysql", version: "8.0.41", name: "8.0.41", upstreamTag: "8.0" }],
        repository: "trove",
        troveRelease: "2026.1",
        allowUntested: true,
        backupTag: "latest",
        buildBackupImages: true,
        backupCheckout: { dir: "/opt/trove", ref: "master" },
        upstreamRegistry: "quay.io/openstack.trove",
        upstreamInsecure: false,
        dockerHost: "unix:///var/run/docker.sock",
        catalog: m.catalog.defaultCatalog,
      },
      // The former names of backupCheckout.dir and backupCheckout.ref, still taken.
      {
        registry: endpoint,
        versions: [{ datastore: "mysql", version: "8.0" }],
        troveRelease: "2026.1",
        troveSourceDir: "/opt/trove",
      },
      {
        registry: endpoint,
        versions: [{ datastore: "mysql", version: "8.0" }],
        troveRelease: "2026.1",
        backupSourceDir: "/opt/trove",
        troveRef: "master",
      },
    ],
  },
  {
    component: "DatastoreVersion",
    schema: () => m.version.DATASTORE_VERSION_SCHEMA,
    make: (a) => new m.version.DatastoreVersion("gen", a as never),
    examples: () => [
      {
        datastore: "mysql",
        version: "8.0.41",
        name: "8.0.41",
        manager: "mysql",
        imageTags: ["trove", "mysql"],
        active: true,
        default: false,
        packages: ["mysql"],
        adopt: false,
        cloud: "lab",
        region: "RegionOne",
        catalog: m.catalog.defaultCatalog,
      },
      { datastore: "mysql", version: "8.0.41", imageId: uuid },
    ],
  },
  {
    component: "DatastoreConfigurationParameters",
    schema: () => m.params.DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA,
    make: (a) => new m.params.DatastoreConfigurationParameters("gen", a as never),
    examples: () => [
      {
        datastore: "mysql",
        versionName: "8.0",
        versionNumber: "8.0.41",
        rules: {
          rules: [
            { name: "max_connections", restart_required: false, type: "integer", min: 1, max: "18446744073709551615" },
          ],
        },
        controller: { connection: ssh, python: "/usr/bin/python3", troveConfPath: "/etc/trove/trove.conf" },
        versionId: uuid,
        catalog: m.catalog.defaultCatalog,
      },
      { datastore: "mysql", versionName: "8.0", rules: { rulesFile: "/opt/trove/rules.json" }, controller: {} },
    ],
  },
  {
    component: "TroveConfig",
    schema: () => m.config.TROVE_CONFIG_SCHEMA,
    make: (a) => new m.config.TroveConfig("gen", a as never),
    examples: () => [
      {
        registry: endpoint,
        imageOptions: {
          mysql: { dockerImage: "10.0.0.5:4000/trove/mysql", backupDockerImage: "10.0.0.5:4000/trove/db-backup-mysql" },
        },
        controller: {
          connection: ssh,
          troveConfPath: "/etc/trove/trove.conf",
          guestAgentConfPath: "/etc/trove/trove-guestagent.conf",
          restartOnTroveConfChange: ["systemctl restart trove-taskmanager"],
          restartOnGuestAgentConfChange: ["systemctl restart trove-guestagent"],
          python: "/usr/bin/python3",
        },
        cloudInit: { mysql: "#cloud-config\n" },
        cloudinitLocation: "/etc/trove/cloudinit",
        catalog: m.catalog.defaultCatalog,
        troveRelease: "2026.2",
        swift: { url: "http://10.0.0.5:8080/v1/AUTH_" },
      },
      {
        registry: endpoint,
        imageOptions: {
          mysql: { dockerImage: "10.0.0.5:4000/trove/mysql", backupDockerImage: "10.0.0.5:4000/trove/db-backup-mysql" },
        },
        swift: { endpointType: "internalURL" },
      },
    ],
  },
  {
    component: "TroveGuestPipeline",
    schema: () => m.pipeline.TROVE_GUEST_PIPELINE_SCHEMA,
    make: (a) => new m.pipeline.TroveGuestPipeline("gen", a as never),
    examples: () => [
      {
        versions: [
          { datastore: "mysql", version: "8.0.41", name: "8.0.41", upstreamTag: "8.0", default: true, active: true },
        ],
        troveRelease: "2026.1",
        allowUntested: true,
        catalog: m.catalog.defaultCatalog,
        guestImage: {
          ...buildFull,
          troveRelease: undefined,
          allowUntested: undefined,
          preloadImages: false,
          guestOsRelease: "noble",
        },
        glanceImage: {
          name: "guest",
          visibility: "private",
          minDiskGb: 5,
          minRamMb: 512,
          properties: { a: "b" },
          protected: false,
          keepImages: 3,
          serve: "newest",
          keepImageIds: ["0b5a3d6e-8c1f-4f7a-9d2e-3c4b5a6d7e8f"],
          checkQuota: false,
          checkTrovePins: true,
        },
        regions: [
          {
            name: "east",
            provider: new openstack.Provider("gen-os"),
            cloud: "prod",
            region: "RegionEast",
            troveController: { connection: ssh, python: "/usr/bin/python3", troveConfPath: "/etc/trove/trove.conf" },
          },
        ],
        registry: {
          local: {
            advertisedHost: "10.0.0.5",
            auth: { username: "trove", password: "pw", realm: "trove" },
            tls: { certificatePem: cert, privateKeyPem: key, caCertificatePem: cert },
          },
        },
        datastoreImages: {
          repository: "trove",
          backupTag: "latest",
          buildBackupImages: true,
          backupCheckout: { dir: "/opt/trove", ref: "master" },
          upstreamRegistry: "docker.io/library",
          upstreamInsecure: false,
          dockerHost: "unix:///var/run/docker.sock",
        },
        troveConfig: {
          controller: {
            connection: ssh,
            restartOnTroveConfChange: ["systemctl restart trove-taskmanager"],
            restartOnGuestAgentConfChange: ["true"],
          },
          cloudInit: { mysql: "#cloud-config\n" },
          cloudinitLocation: "/etc/trove/cloudinit",
          swift: { url: "http://10.0.0.5:8080/v1/AUTH_" },
        },
        registration: {
          adopt: false,
          rulesSourceDir: "/opt/trove",
          loadConfigurationParameters: false,
          whenInUse: "fail",
        },
        managementNetworkCidr: "10.0.0.0/24",
      },
      {
        versions: [{ datastore: "mysql", version: "8.0.41" }],
        troveRelease: "2026.1",
        guestImage: { existingImagePath: "/var/tmp/g.qcow2" },
        registry: { existing: endpoint },
        datastoreImages: {},
        troveConfig: false,
        registration: false,
      },
      {
        versions: [{ datastore: "mysql", version: "8.0.41" }],
        troveRelease: "2026.2",
        guestImage: { existingImagePath: "/var/tmp/g.qcow2" },
        registry: { existing: endpoint },
        datastoreImages: {},
        troveConfig: { swift: { endpointType: "internalURL" } },
        registration: false,
      },
      {
        versions: [{ datastore: "mysql", version: "8.0.41" }],
        troveRelease: "2026.1",
        guestImage: { imageUrl: "https://example.com/g.qcow2" },
        registry: { local: { advertisedHost: "10.0.0.5", tls: { generate: true, validityDays: 30 } } },
        datastoreImages: {},
      },
      // The former names of guestImage.buildCheckout's fields, datastoreImages.backupCheckout's and
      // registration.rulesSourceDir, still taken.
      {
        versions: [{ datastore: "mysql", version: "8.0.41" }],
        troveRelease: "2026.1",
        guestImage: { existingImagePath: "/var/tmp/g.qcow2" },
        registry: { existing: endpoint },
        datastoreImages: { troveSourceDir: "/opt/trove" },
        registration: { troveSourceDir: "/opt/trove" },
      },
      {
        versions: [{ datastore: "mysql", version: "8.0.41" }],
        troveRelease: "2026.1",
        guestImage: { troveSourceDir: "/opt/trove", troveRef: "master" },
        registry: { existing: endpoint },
        datastoreImages: { backupSourceDir: "/opt/trove", troveRef: "master" },
        registration: false,
      },
    ],
  },
];

type Path = Array<string | number>;

function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Every place in an example a value can be put, with its rule: fields of objects present, items and keys present. */
function targets(rule: Rule, value: unknown, at: Path = []): Array<{ path: Path; rule: Rule }> {
  const out: Array<{ path: Path; rule: Rule }> = [];
  if (rule.kind === "object") {
    for (const [k, child] of Object.entries(rule.fields!)) {
      out.push({ path: [...at, k], rule: child });
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out.push(...targets(child, v, [...at, k]));
    }
  } else if (rule.kind === "array" && Array.isArray(value) && value.length > 0) {
    out.push({ path: [...at, 0], rule: rule.item! }, ...targets(rule.item!, value[0], [...at, 0]));
  } else if (rule.kind === "record" && value && typeof value === "object") {
    const k = Object.keys(value)[0];
    if (k !== undefined)
      out.push(
        { path: [...at, k], rule: rule.item! },
        ...targets(rule.item!, (value as Record<string, unknown>)[k], [...at, k]),
      );
  } else if (rule.kind === "oneOf") {
    const chosen = rule.pick!(value);
    if (chosen !== undefined) out.push(...targets(rule.options![chosen]!, value, at));
  }
  return out;
}

/** The schema's own name of a path in an example: `versions[].version`, `environment.<key>`. */
function schemaName(rule: Rule, path: Path, example: unknown): string {
  let r: Rule = rule;
  let value = example;
  let name = "";
  for (const part of path) {
    while (r.kind === "oneOf") r = r.options![r.pick!(value)!]!;
    if (r.kind === "array") {
      name += "[]";
      r = r.item!;
    } else if (r.kind === "record") {
      name += ".<key>";
      r = r.item!;
    } else {
      name = name === "" ? String(part) : `${name}.${part}`;
      r = r.fields![String(part)]!;
    }
    value = (value as Record<string | number, unknown> | undefined)?.[part];
  }
  return name;
}

/** How the field is named in messages: `versions[0].version`. */
function fieldName(path: Path): string {
  return path.reduce<string>(
    (name, part) => (typeof part === "number" ? `${name}[${part}]` : name === "" ? part : `${name}.${part}`),
    "",
  );
}

function withValue(example: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredCloneKeepingInstances(example) as Record<string, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) at = at[part] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return copy;
}

function structuredCloneKeepingInstances(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneKeepingInstances);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneKeepingInstances(v)]));
  return value;
}

const anyObject = fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 });

/** Values of the wrong JavaScript type for a rule (what YAML and plain JavaScript callers can pass). */
function wrongTypes(rule: Rule): fc.Arbitrary<unknown> | undefined {
  const nullish = fc.constant(null);
  switch (rule.kind) {
    case "string":
      return fc.oneof(fc.integer(), fc.boolean(), nullish, fc.array(fc.string(), { maxLength: 2 }), anyObject);
    case "number":
      return fc.oneof(
        fc.integer().map(String),
        fc.boolean(),
        nullish,
        fc.constant(Number.NaN),
        fc.array(fc.integer(), { maxLength: 2 }),
      );
    case "boolean":
      return fc.oneof(fc.constantFrom("true", "false", "yes", "no", "0"), fc.integer(), nullish, anyObject);
    case "enum": {
      // A quoted `true` or `4000` from YAML is the value's text, not the value.
      const quoted = rule.values!.map((v) => String(v)).filter((v) => !rule.values!.includes(v));
      return fc.oneof(
        fc.string({ maxLength: 10 }).filter((v) => !rule.values!.includes(v)),
        fc.integer(),
        nullish,
        ...(quoted.length > 0 ? [fc.constantFrom(...quoted)] : []),
      );
    }
    case "array":
      return fc.oneof(fc.string(), fc.integer(), nullish, anyObject);
    case "object":
    case "record":
    case "instance":
      return fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), nullish, fc.array(fc.string(), { maxLength: 2 }));
    case "oneOf":
      // Whatever none of the alternatives takes.
      return fc
        .oneof(
          fc.string({ maxLength: 8 }),
          fc.integer(),
          fc.boolean(),
          nullish,
          fc.array(fc.string(), { maxLength: 2 }),
        )
        .filter((v) => rule.pick!(v) === undefined);
    case "any":
      return undefined;
  }
}

/** Texts that a field's content rule may refuse: empty, spaces, shell code, line breaks, paths, URLs, a NUL, length. */
const TRICKY_TEXTS = [
  "",
  " ",
  "a b",
  "$(reboot)",
  "x\ny",
  "../etc",
  "-rf",
  "http://x/",
  "'; rm -rf / #",
  "\u0000",
  "A".repeat(300),
];

/** Values of the right type but the wrong content or shape. */
function wrongContent(rule: Rule): fc.Arbitrary<unknown> | undefined {
  switch (rule.kind) {
    case "string": {
      if (!rule.content) return undefined;
      const refused = (v: string) => (rule.content as (v: string) => string | undefined)(v) !== undefined;
      const tricky = TRICKY_TEXTS.filter(refused);
      if (tricky.length === 0) return undefined;
      // Random text around a value the rule refuses: mostly refused itself, so the filter rarely has to try again.
      return fc.oneof(
        fc.constantFrom(...tricky),
        fc
          .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...tricky), fc.string({ maxLength: 12 }))
          .map(([a, t, b]) => a + t + b)
          .filter(refused),
      );
    }
    case "number": {
      const out = [
        fc.integer({ min: -1e9, max: rule.min! - 1 }),
        fc.integer({ min: Math.min(rule.max! + 1, 2 ** 52), max: 2 ** 53 }),
      ].filter(() => rule.min! > -1e9 && rule.max! < 2 ** 52);
      if (rule.integer)
        out.push(
          fc.double({ min: rule.min!, max: Math.min(rule.max!, 1e9), noNaN: true }).filter((d) => !Number.isInteger(d)),
        );
      return out.length > 0 ? fc.oneof(...out) : undefined;
    }
    case "object":
      return fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((k) => !Object.hasOwn(rule.fields!, k) && k !== "__proto__")
        .map((k) => ({ [k]: "x" }));
    default:
      return undefined;
  }
}

describe("every public Args type refuses every wrong value at construction", () => {
  it("the examples reach every field of every schema", () => {
    for (const s of subjects) {
      const known = new Set(m.schema.fieldsOf(s.schema()).map((f) => f.field));
      const reached = new Set(
        s.examples().flatMap((e) => targets(s.schema(), e).map((t) => schemaName(s.schema(), t.path, e))),
      );
      expect(
        [...known].filter((f) => !reached.has(f)),
        s.component,
      ).toEqual([]);
    }
  });

  it("every example is valid (so a refusal below is the wrong value's doing)", () => {
    for (const s of subjects)
      for (const e of s.examples())
        expect(() => m.check.checkArgs(s.component, "gen", s.schema(), e), s.component).not.toThrow();
  });

  for (const kind of ["wrong type", "wrong content or shape", "missing"] as const) {
    it(`refuses a value of the ${kind} in every field, naming the component and the field, before declaring anything`, () => {
      let checked = 0;
      for (const s of subjects) {
        for (const example of s.examples()) {
          for (const t of targets(s.schema(), example)) {
            const arbitrary =
              kind === "wrong type"
                ? wrongTypes(t.rule)
                : kind === "missing"
                  ? t.rule.optional
                    ? undefined
                    : fc.constant(undefined)
                  : wrongContent(t.rule);
            if (!arbitrary) continue;
            checked++;
            fc.assert(
              fc.property(arbitrary, (bad) => {
                const before = mocks.resources.length;
                let error: unknown;
                try {
                  s.make(withValue(example, t.path, bad));
                } catch (e) {
                  error = e;
                }
                const field = fieldName(t.path);
                expect(error, `${s.component} ${field} = ${shown(bad)}`).toBeInstanceOf(m.errors.ComponentInputError);
                const refusal = error as InstanceType<typeof m.errors.ComponentInputError>;
                expect(refusal.component).toBe(s.component);
                // The field itself, or (an unknown key inside an object) the field it was put in.
                expect(
                  refusal.problems.some(
                    (p) => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`),
                  ),
                  `${refusal.message} should name ${field}`,
                ).toBe(true);
                if (t.rule.secret && typeof bad === "string" && bad.length > 3)
                  expect(refusal.message).not.toContain(bad);
                expect(mocks.resources.length, `${s.component} declared a resource before refusing ${field}`).toBe(
                  before,
                );
              }),
              { numRuns: 12 },
            );
          }
        }
      }
      expect(checked).toBeGreaterThan(kind === "missing" ? 20 : 100);
    });
  }
});

describe("no field's content is checked in two places", () => {
  // Each resolver applies defaults and checks across fields, against the catalog, the release and this machine's
  // files; the content of a field is its schema's alone. So a value the schema refuses, given to the resolver directly
  // (past the schema), is not refused by the resolver with the schema's own verdict on that field. A check against the
  // catalog or between fields says something else, and passes. A text field's content is tried with the same tricky
  // values as above, a number's with its bounds crossed.
  const resolvers: Record<string, (args: unknown) => unknown> = {
    GuestImageBuild: (a) => m.build.resolveGuestImageBuildArgs("gen", a as never, { dryRun: true }),
    GlanceImage: (a) => m.glance.resolveGlanceImageArgs("gen", a as never),
    LocalRegistry: (a) => m.registry.resolveLocalRegistryArgs(a as never),
    DatastoreImages: (a) => m.images.resolveDatastoreImagesArgs("gen", a as never),
    DatastoreVersion: (a) => m.version.resolveDatastoreVersionArgs("gen", a as never),
    DatastoreConfigurationParameters: (a) => m.params.resolveDatastoreConfigurationParametersArgs("gen", a as never),
    TroveConfig: (a) => m.config.resolveTroveConfigArgs("gen", a as never),
    TroveGuestPipeline: (a) => m.pipeline.resolveTroveGuestPipelineArgs("gen", a as never),
  };
  const TRICKY = [...TRICKY_TEXTS, "not-a-cidr", "0.0.0.0/33", "v1", "8.0.x"];

  /** Values of the rule's type whose content the rule refuses, each with the schema's verdict. */
  function refusedContent(rule: Rule): Array<{ value: unknown; allowed: string }> {
    const candidates =
      rule.kind === "string" && rule.content
        ? TRICKY
        : rule.kind === "number"
          ? [rule.min! - 1, rule.max! + 1, ...(rule.integer ? [rule.min! + 0.5] : [])].filter(
              (n) => Number.isFinite(n) && Math.abs(n) < 2 ** 52,
            )
          : [];
    return candidates.flatMap((value) =>
      m.schema
        .problemsOf(rule, value)
        .slice(0, 1)
        .map((p) => ({ value, allowed: p.allowed })),
    );
  }

  it("a resolver never refuses a field with its schema's verdict", () => {
    expect(Object.keys(resolvers).sort()).toEqual(subjects.map((s) => s.component).sort());
    const twice: string[] = [];
    let tried = 0;
    for (const s of subjects) {
      for (const example of s.examples()) {
        for (const t of targets(s.schema(), example)) {
          for (const { value, allowed } of refusedContent(t.rule)) {
            tried++;
            const field = fieldName(t.path);
            try {
              resolvers[s.component]!(withValue(example, t.path, value));
            } catch (e) {
              if (!(e instanceof m.errors.ComponentInputError)) continue;
              for (const p of e.problems)
                if (p.field === field && p.allowed === allowed) twice.push(`${s.component} ${field}: ${allowed}`);
            }
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(100);
    expect([...new Set(twice)]).toEqual([]);
  });
});

describe("Inputs are checked when they resolve, with the same message, before anything uses them", () => {
  /** The value an Output settles to; every promise the Output holds gets a handler, so a refusal is not unhandled. */
  const settle = (o: unknown) => {
    const output = o as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    for (const p of [output.isKnown, output.isSecret]) p.catch(() => undefined);
    return output.promise();
  };

  it("a registry password from a Promise with a newline: the checked Output rejects with the construction message, without the password", async () => {
    const { args } = m.check.checkArgs("TroveConfig", "late", m.endpoint.REGISTRY_ENDPOINT_SCHEMA, {
      ...endpoint,
      password: Promise.resolve("pw\nsecret-part"),
    });
    const failure = await settle(args.password).then(
      () => "resolved",
      (e: Error) => e.message,
    );
    expect(failure).toBe(
      'TroveConfig "late": password "(secret)" is not valid (must not contain newlines or control characters).',
    );
  });

  it("a port from an Output that resolves to a string is refused; a good one passes through unchanged and stays secret", async () => {
    const bad = m.check.checkArgs("GuestImageBuild", "late", m.build.GUEST_IMAGE_BUILD_SCHEMA, {
      ...buildFull,
      buildHost: { ...ssh, port: pulumi.output("22") },
    });
    const failure = await settle((bad.args.buildHost as { port: unknown }).port).then(
      () => "resolved",
      (e: Error) => e.message,
    );
    expect(failure).toMatch(
      /^GuestImageBuild "late": buildHost.port "22" is not valid \(expected a whole number from 1 to 65535, got a string \(in YAML, write the number without quotes\)\)/,
    );
    const good = m.check.checkArgs("GuestImageBuild", "late", m.build.GUEST_IMAGE_BUILD_SCHEMA, {
      ...buildFull,
      buildHost: { ...ssh, privateKey: pulumi.secret(ssh.privateKey) },
    });
    const privateKey = (good.args.buildHost as { privateKey: pulumi.Output<string> }).privateKey;
    expect(await settle(privateKey)).toBe(ssh.privateKey);
    expect(await (privateKey as unknown as { isSecret: Promise<boolean> }).isSecret).toBe(true);
  });

  it("a plain value is used as given (no copy, no Output) when nothing in it is an Input", () => {
    const example = { datastore: "mysql", version: "8.0.41" };
    expect(m.check.checkArgs("DatastoreVersion", "x", m.version.DATASTORE_VERSION_SCHEMA, example).args).toBe(example);
  });
});

describe("the pipeline's schema refuses whatever its children's schemas would refuse of what it hands them", () => {
  // The pipeline checks its arguments once and its children take what it builds from them without walking their own
  // schemas over it again (check-args.ts, `checkedByParent`); they walk only what the pipeline computes from other
  // children's outputs. So for every field a child takes from the pipeline's arguments, every value the child's schema
  // refuses must be refused by the pipeline's schema, under the field the pipeline's user wrote.
  // `alwaysGiven`: the child never sees the field left out: the pipeline gives a default (a version's name is its
  // number), or declares no such child (no parameters for a region without its troveController).
  type Route = { child: string; field: string; example: number; path: Path; alwaysGiven?: boolean };
  const example = (i: number) => subjects.find((s) => s.component === "TroveGuestPipeline")!.examples()[i]!;
  const childSchema = (child: string) => subjects.find((s) => s.component === child)!.schema();
  // What the pipeline computes (the child checks it), and what it never gives.
  const computed: Record<string, string[]> = {
    GuestImageBuild: ["preloadImages"],
    LocalRegistry: [],
    DatastoreImages: [],
    GlanceImage: ["image", "datastores", "retainedDatastores", "guestOs", "guestOsRelease"],
    TroveConfig: ["registry", "imageOptions"],
    DatastoreVersion: ["manager", "imageTags", "imageId", "packages"],
    DatastoreConfigurationParameters: ["rules", "versionId"],
  };
  const FULL = 0; // local registry, every section given
  const EXISTING = 1; // registry.existing
  const v0 = ["versions", 0];
  const r0 = ["regions", 0];
  const routes = (): Route[] => {
    const out: Route[] = [];
    const add = (child: string, field: string, path: Path, ex = FULL, alwaysGiven = false) =>
      out.push({ child, field, example: ex, path, alwaysGiven });
    const picked = (rule: Rule) => Object.keys((rule.kind === "oneOf" ? rule.options![0]! : rule).fields!);
    const p = m.pipeline.TROVE_GUEST_PIPELINE_SCHEMA.fields!;
    for (const f of Object.keys(childSchema("GuestImageBuild").fields!))
      if (f !== "preloadImages") add("GuestImageBuild", f, ["guestImage", f]);
    add("GuestImageBuild", "troveRelease", ["troveRelease"]);
    add("GuestImageBuild", "allowUntested", ["allowUntested"]);
    for (const f of Object.keys(childSchema("LocalRegistry").fields!))
      add("LocalRegistry", f, ["registry", "local", f]);
    for (const f of picked(p.datastoreImages!)) add("DatastoreImages", f, ["datastoreImages", f]);
    for (const f of ["troveRelease", "allowUntested", "catalog"]) add("DatastoreImages", f, [f]);
    add("DatastoreImages", "versions", ["versions"]);
    add("DatastoreImages", "registry", ["registry", "existing"], EXISTING);
    for (const f of picked(p.glanceImage!)) add("GlanceImage", f, ["glanceImage", f]);
    add("GlanceImage", "catalog", ["catalog"]);
    for (const f of ["cloud", "region"]) add("GlanceImage", f, [...r0, f]);
    for (const f of picked(p.troveConfig!)) add("TroveConfig", f, ["troveConfig", f]);
    for (const f of ["catalog", "troveRelease"]) add("TroveConfig", f, [f]);
    for (const f of ["datastore", "version", "name", "active", "default"]) add("DatastoreVersion", f, [...v0, f]);
    add("DatastoreVersion", "adopt", ["registration", "adopt"]);
    for (const f of ["cloud", "region"]) add("DatastoreVersion", f, [...r0, f]);
    add("DatastoreVersion", "catalog", ["catalog"]);
    add("DatastoreConfigurationParameters", "datastore", [...v0, "datastore"]);
    add("DatastoreConfigurationParameters", "versionName", [...v0, "name"], FULL, true);
    add("DatastoreConfigurationParameters", "versionNumber", [...v0, "version"]);
    add("DatastoreConfigurationParameters", "controller", [...r0, "troveController"], FULL, true);
    add("DatastoreConfigurationParameters", "catalog", ["catalog"]);
    return out;
  };
  const valueAt = (value: unknown, path: Path) =>
    path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

  it("every field of every child is either taken from the pipeline's arguments (routed below) or computed", () => {
    for (const [child, own] of Object.entries(computed)) {
      const routed = new Set([
        ...own,
        ...routes()
          .filter((r) => r.child === child)
          .map((r) => r.field),
      ]);
      expect([...routed].sort(), child).toEqual(Object.keys(childSchema(child).fields!).sort());
    }
  });

  it("a value a child's schema refuses, put where the pipeline's user writes it, is refused by the pipeline's schema under that name", () => {
    let tried = 0;
    for (const route of routes()) {
      const pipelineExample = example(route.example);
      const rule = childSchema(route.child).fields![route.field]!;
      const given = valueAt(pipelineExample, route.path);
      // The field itself and every place inside it.
      const places: Array<{ at: Path; rule: Rule }> = [
        { at: [], rule },
        ...targets(rule, given).map((t) => ({ at: t.path, rule: t.rule })),
      ];
      for (const place of places) {
        const arbitraries = [
          wrongTypes(place.rule),
          wrongContent(place.rule),
          place.rule.optional || (route.alwaysGiven && place.at.length === 0) ? undefined : fc.constant(undefined),
        ].filter((a): a is fc.Arbitrary<unknown> => a !== undefined);
        for (const arbitrary of arbitraries) {
          fc.assert(
            fc.property(arbitrary, (bad) => {
              const childValue =
                place.at.length === 0 ? bad : withValue(given as Record<string, unknown>, place.at, bad);
              // Only what the child's own schema refuses (a field inside a oneOf may move the value to another option).
              fc.pre(m.schema.problemsOf(rule, childValue, route.field).length > 0);
              tried++;
              const field = fieldName([...route.path, ...place.at]);
              const problems = m.schema.problemsOf(
                m.pipeline.TROVE_GUEST_PIPELINE_SCHEMA,
                withValue(pipelineExample, route.path, childValue),
              );
              expect(
                problems.some(
                  (p) => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`),
                ),
                `${route.child} refuses ${route.field} = ${shown(childValue)}: the pipeline should refuse ${field}; it said ${shown(problems)}`,
              ).toBe(true);
            }),
            { numRuns: 8 },
          );
        }
      }
    }
    expect(tried).toBeGreaterThan(500);
  });

  it("what a child refused after others were declared is refused at the pipeline's edge, every problem in one error", () => {
    const base = example(EXISTING);
    const refused = (args: Record<string, unknown>) => {
      const before = mocks.resources.length;
      try {
        new m.pipeline.TroveGuestPipeline("edge", args as never);
      } catch (e) {
        expect(e).toBeInstanceOf(m.errors.ComponentInputError);
        expect(mocks.resources.length).toBe(before);
        return (e as Error).message;
      }
      throw new Error("not refused");
    };
    // TroveConfig's check between its fields.
    expect(refused({ ...base, troveConfig: { cloudInit: { mysql: "#cloud-config\n" } } })).toMatch(
      /^TroveGuestPipeline "edge": troveConfig\.cloudInit .* is not valid \(cloud-init files are written to the controller: set controller too\)/,
    );
    // The name and upstream tag a version takes from its number: a name of at most 64 characters, a tag of at most 128.
    const long = `1.${"2".repeat(130)}`;
    const message = refused({ ...base, allowUntested: true, versions: [{ datastore: "mysql", version: long }] });
    expect(message).toMatch(
      /versions\[0\]\.name "1\.2+\.\.\." is not valid \(use 1 to 64 letters.*; name is the version number unless given: give name\)/,
    );
    expect(message).toMatch(
      /versions\[0\]\.upstreamTag "1\.2+\.\.\." is not valid \(use up to 128 letters.*; upstreamTag is the version number unless given: give upstreamTag\)/,
    );
    // A registered datastore is found by its Glance tag (at most 20 characters); without registration it is fine.
    const catalog = new m.catalog.DatastoreCatalog([
      { ...m.catalog.BUILTIN_DATASTORES.mysql!, name: "a-datastore-of-21-chr" },
    ]);
    const tagged = {
      ...base,
      catalog,
      allowUntested: true,
      versions: [{ datastore: "a-datastore-of-21-chr", version: "8.0" }],
    };
    expect(refused({ ...tagged, registration: {} })).toContain(
      'versions[0].datastore "a-datastore-of-21-chr" is not valid (use 1 to 20 letters',
    );
    expect(m.schema.problemsOf(m.pipeline.TROVE_GUEST_PIPELINE_SCHEMA, tagged)).toEqual([]);
  });
});
