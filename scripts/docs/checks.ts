// The "What is checked" tables of docs/checks.md, one per component, read from the components' schemas
// (components/internal/schema.ts): every field with what it accepts, whether an Input is checked when it resolves,
// whether its value is hidden in messages, and one example refusal produced by the schema itself, so the table and the
// message cannot drift.

import { formatProblems } from "../../components/internal/errors";
import { GUEST_IMAGE_BUILD_SCHEMA } from "../../components/image/guest-image-build";
import { GLANCE_IMAGE_SCHEMA } from "../../components/image/glance-image";
import { LOCAL_REGISTRY_SCHEMA } from "../../components/registry/local-registry";
import { DATASTORE_IMAGES_SCHEMA } from "../../components/registry/datastore-images";
import { DATASTORE_VERSION_SCHEMA } from "../../components/trove/datastore-version";
import { DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA } from "../../components/trove/configuration-parameters";
import { TROVE_CONFIG_SCHEMA } from "../../components/trove/trove-config";
import { TROVE_GUEST_PIPELINE_SCHEMA } from "../../components/pipeline/pipeline";
import { fieldsOf, problemsOf, Rule } from "../../components/internal/schema";
import { SectionRenderer } from "./sections";

/** Per component: its schema, and one wrong value (field and value) for the example message. */
const COMPONENTS: Readonly<Record<string, { schema: Rule; example: [string, unknown] }>> = {
  TroveGuestPipeline: { schema: TROVE_GUEST_PIPELINE_SCHEMA, example: ["versions[0].version", "5.7-latest"] },
  GuestImageBuild: { schema: GUEST_IMAGE_BUILD_SCHEMA, example: ["devMode", "false"] },
  GlanceImage: { schema: GLANCE_IMAGE_SCHEMA, example: ["visibility", "secret"] },
  LocalRegistry: { schema: LOCAL_REGISTRY_SCHEMA, example: ["port", "4000"] },
  DatastoreImages: { schema: DATASTORE_IMAGES_SCHEMA, example: ["registry.address", "https://10.0.0.5:4000"] },
  DatastoreVersion: { schema: DATASTORE_VERSION_SCHEMA, example: ["imageId", "trove-guest-ubuntu-jammy"] },
  DatastoreConfigurationParameters: {
    schema: DATASTORE_CONFIGURATION_PARAMETERS_SCHEMA,
    example: ["controller.connection.port", 70000],
  },
  TroveConfig: { schema: TROVE_CONFIG_SCHEMA, example: ["registry.username", "trove:admin"] },
};

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The rule a field path names (`versions[].version` or `versions[0].version`). */
function ruleAt(schema: Rule, field: string): Rule {
  const normalized = field.replace(/\[\d+\]/g, "[]");
  const found = fieldsOf(schema).find((f) => f.field === normalized);
  if (!found) throw new Error(`no field ${field} in the schema`);
  return found.rule;
}

/** Renders `<!-- generated:checks <Component> -->`. */
export const checksRenderer: SectionRenderer = (component) => {
  const entry = COMPONENTS[component];
  if (!entry) throw new Error(`no schema for component ${component} (known: ${Object.keys(COMPONENTS).join(", ")})`);
  const rows = fieldsOf(entry.schema).map(({ field, rule }) => {
    const notes = [
      rule.optional ? "" : "required",
      rule.input ? "an Input: checked when it resolves" : "",
      rule.secret ? "hidden in messages" : "",
    ].filter((n) => n !== "");
    return `| \`${field}\` | ${cell(rule.accepts)} | ${notes.join("; ")} |`;
  });
  const [field, value] = entry.example;
  const message = formatProblems(component, "main", problemsOf(ruleAt(entry.schema, field), value, field));
  return [
    "| field | accepts | notes |",
    "|---|---|---|",
    ...rows,
    "",
    `Example: \`${field}: ${JSON.stringify(value)}\` is refused with`,
    "",
    "```text",
    message,
    "```",
  ].join("\n");
};
