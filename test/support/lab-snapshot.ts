// What a stack of the lab touches in a lab, read over REST (fast): Trove's versions of its datastores and Glance's
// guest images, without what the other test lanes make there meanwhile. A test compares it before and after.

import { glanceSession, imagesNamedAndIds } from "./glance-rest";
import type { Lab } from "./lab";
import { troveRest } from "./trove-rest";

/** The datastores the stacks serve. */
const DATASTORES = ["mysql", "mariadb", "postgresql"];
/** Made meanwhile by the files of the other test lanes (scripts/test/lanes.ts): glance-rotation's pinning versions. */
const OTHER_LANES_VERSION = /^rot-pin-/;
/** Made meanwhile by the other test lanes: glance-rotation's images, day-two's image. */
const OTHER_LANES_IMAGE = /^trove-guest-(rot|day-two)-/;

/** `datastore:name:id` of each version and `name:id` of each guest image, sorted. */
export async function labSnapshot(lab: Lab): Promise<{ versions: string[]; images: string[] }> {
  const rest = await troveRest(lab);
  const versions = (await Promise.all(DATASTORES.map((d) => rest.versions(d))))
    .flat()
    .filter((v) => !OTHER_LANES_VERSION.test(v.name))
    .map((v) => `${v.datastore_name}:${v.name}:${v.id}`);
  const glance = await glanceSession({ OS_CLIENT_CONFIG_FILE: lab.cloudsYaml }, lab.cloud);
  const images = (await imagesNamedAndIds(glance))
    .filter((i) => i.name.startsWith("trove-guest-") && !OTHER_LANES_IMAGE.test(i.name))
    .map((i) => `${i.name}:${i.id}`);
  return { versions: versions.sort(), images: images.sort() };
}
