// Applies a declared `openstack:images/image:Image` to the lab with the real service's own client (the `openstack`
// CLI), as the @pulumi/openstack provider documents it: name, disk and container format, visibility, tags, properties,
// minimum disk and RAM, and the file upload; and asks Trove's own code which image a version's tags resolve to.

import { execFileSync } from "node:child_process";
import type { Lab } from "./lab";

/** The `openstack image create` arguments for a declared image (the file upload; prints the new id). */
export function glanceImageCreateArgs(inputs: Record<string, unknown>): string[] {
  const file = inputs.localFilePath;
  if (typeof file !== "string")
    throw new Error("only images uploaded from a local file are applied here (localFilePath)");
  const args = [
    "image",
    "create",
    String(inputs.name),
    "--disk-format",
    String(inputs.diskFormat),
    "--container-format",
    String(inputs.containerFormat),
    "--file",
    file,
    "-f",
    "value",
    "-c",
    "id",
  ];
  args.push(`--${String(inputs.visibility ?? "private")}`);
  for (const tag of (inputs.tags as string[] | undefined) ?? []) args.push("--tag", tag);
  for (const [k, v] of Object.entries((inputs.properties as Record<string, string> | undefined) ?? {}))
    args.push("--property", `${k}=${v}`);
  if (inputs.minDiskGb !== undefined) args.push("--min-disk", String(inputs.minDiskGb));
  if (inputs.minRamMb !== undefined) args.push("--min-ram", String(inputs.minRamMb));
  if (inputs.protected === true) args.push("--protected");
  return args;
}

/** Creates the Glance image the declaration describes; returns its id. */
export function applyGlanceImage(lab: Lab, inputs: Record<string, unknown>): string {
  return lab.openstack(glanceImageCreateArgs(inputs)).trim();
}

/** Deletes a Glance image a test created, in clean-up: one that is already gone is fine. */
export function removeGlanceImage(lab: Lab, id: string): void {
  try {
    lab.openstack(["image", "delete", id]);
  } catch {
    // already gone
  }
}

/** The Glance image Trove's own code (trove.common.glance.get_image_id) picks for these tags. */
export function imageTroveFinds(lab: Lab, tags: string[]): string {
  return imagesTroveFinds(lab, [tags])[0]!;
}

/** The Glance image Trove's own code picks for each list of tags, in one Python process (each start costs a second). */
export function imagesTroveFinds(lab: Lab, tagLists: string[][]): string[] {
  const program = String.raw`
import json, sys
import openstack.config
from glanceclient import Client
from trove.common.glance import get_image_id
cloud = openstack.config.OpenStackConfig().get_one(cloud="trove-lab")
client = Client("2", session=cloud.get_session())
for tags in json.loads(sys.argv[1]):
    print(get_image_id(client, None, tags))
`;
  return execFileSync("/usr/bin/python3", ["-c", program, JSON.stringify(tagLists)], { env: lab.env, encoding: "utf8" })
    .trim()
    .split("\n");
}
