// Trove's REST API for the tests' own reads and set-up, through the component's client: a request costs a few
// milliseconds, where each `openstack` CLI call spends about 2 s starting up, and the tests run against three labs.

import {
  listAllDatastoreVersions,
  loadCredentials,
  openTroveSession,
  trove,
  TroveSession,
} from "../../components/trove/trove-client";
import type { Lab } from "./lab";

/** A datastore version as the management API shows it. */
export interface MgmtVersion {
  id: string;
  name: string;
  version: string;
  datastore_name: string;
  active: boolean;
  image: string | null;
  image_tags: string[];
  packages: string[];
}

/** A configuration parameter as Trove's public API shows it (min and max only when set). */
export interface ParameterView {
  name: string;
  type: string;
  restart_required: boolean;
  min?: number;
  max?: number;
}

export interface TroveRest {
  session: TroveSession;
  /** Management API: the versions of a datastore. */
  versions(datastore: string): Promise<MgmtVersion[]>;
  version(id: string): Promise<MgmtVersion>;
  /** Creates a version with image tags (or pinned to an image by id); returns its id. */
  createVersion(datastore: string, version: string, imageTags: string[], imageId?: string): Promise<string>;
  deleteVersion(id: string): Promise<void>;
  /** A version's configuration parameters. */
  parameters(versionId: string): Promise<ParameterView[]>;
  /** The raw JSON text of one parameter (integers beyond 2^53 keep their digits). */
  parameterText(versionId: string, name: string): Promise<string>;
  /** Creates a configuration group on a version through Trove's public API (Trove checks the values); its id. */
  createConfiguration(
    name: string,
    datastore: string,
    versionName: string,
    values: Record<string, unknown>,
  ): Promise<string>;
  deleteConfiguration(id: string): Promise<void>;
}

export async function troveRest(lab: Lab): Promise<TroveRest> {
  const session = await openTroveSession(loadCredentials({ OS_CLIENT_CONFIG_FILE: lab.cloudsYaml }, lab.cloud));
  const versions = async (datastore: string) =>
    (await listAllDatastoreVersions<MgmtVersion>(session)).filter((v) => v.datastore_name === datastore);
  return {
    session,
    versions,
    version: async (id) =>
      ((await trove(session, "GET", `/mgmt/datastore-versions/${id}`)) as { version: MgmtVersion }).version,
    createVersion: async (datastore, version, imageTags, imageId) => {
      const body: Record<string, unknown> = {
        name: version,
        version,
        datastore_name: datastore,
        datastore_manager: datastore,
        active: true,
      };
      if (imageId) body.image = imageId;
      if (imageTags.length > 0 || !imageId) body.image_tags = imageTags;
      await trove(session, "POST", "/mgmt/datastore-versions", { version: body });
      const created = (await versions(datastore)).find((v) => v.name === version && v.version === version);
      if (!created) throw new Error(`Trove accepted ${datastore} ${version} but does not list it`);
      return created.id;
    },
    deleteVersion: async (id) => {
      await trove(session, "DELETE", `/mgmt/datastore-versions/${id}`);
    },
    parameters: async (versionId) =>
      (
        (await trove(session, "GET", `/datastores/versions/${versionId}/parameters`)) as {
          "configuration-parameters": ParameterView[];
        }
      )["configuration-parameters"],
    createConfiguration: async (name, datastore, versionName, values) => {
      const r = (await trove(session, "POST", "/configurations", {
        configuration: {
          name,
          description: "pulumi-trove test",
          values,
          datastore: { type: datastore, version: versionName },
        },
      })) as { configuration: { id: string } };
      return r.configuration.id;
    },
    deleteConfiguration: async (id) => {
      await trove(session, "DELETE", `/configurations/${id}`);
    },
    parameterText: async (versionId, name) => {
      const r = await fetch(`${session.endpoint}/datastores/versions/${versionId}/parameters/${name}`, {
        headers: { "X-Auth-Token": session.token, Accept: "application/json" },
      });
      if (r.status !== 200) throw new Error(`GET parameter ${name}: HTTP ${r.status}`);
      return r.text();
    },
  };
}
