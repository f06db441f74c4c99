// The README's example program: the runbook for MySQL 8.4 and 8.0 and PostgreSQL 17 on a devstack-like controller
// running Trove 2026.1, with a noble guest, as one component. Type-checked by `npm test` (tsconfig includes examples/).
import * as pulumi from "@pulumi/pulumi";
import { TroveGuestPipeline } from "../components";

const config = new pulumi.Config();

const pipeline = new TroveGuestPipeline("trove", {
  troveRelease: "2026.1",
  versions: [
    { datastore: "mysql", version: "8.4", default: true },
    { datastore: "mysql", version: "8.0" },
    { datastore: "postgresql", version: "17", default: true },
  ],
  // trovestack build-image ubuntu noble true ubuntu, with HOST_SCP_USERNAME=stack
  guestImage: { buildCheckout: { dir: "/opt/stack/trove" }, guestOsRelease: "noble", hostScpUsername: "stack" },
  // docker run -d --net=host -e REGISTRY_HTTP_ADDR=0.0.0.0:4000 ... registry:2, with basic auth
  registry: {
    local: {
      advertisedHost: "10.0.0.5",
      auth: { username: "trove", password: config.requireSecret("registryPassword") },
    },
  },
  // mirror mysql/postgres into 10.0.0.5:4000/trove-datastores and build db-backup-<datastore> from Trove's backup/
  datastoreImages: { backupCheckout: { dir: "/opt/stack/trove" } },
  // merge the registry options into /etc/trove/trove.conf and trove-guestagent.conf, restart the taskmanager
  troveConfig: {
    controller: {
      connection: {
        host: "10.0.0.5",
        user: "stack",
        privateKey: config.requireSecret("controllerSshKey"),
        hostKey: config.require("controllerHostKey"),
      },
      restartOnTroveConfChange: ["sudo systemctl restart devstack@tr-tmgr"],
    },
  },
});

export const glanceImageIds = pipeline.glanceImageIds;
export const registryAddress = pipeline.registryAddress;
export const imageReferences = pipeline.imageReferences;
export const versionSettings = pipeline.versionSettings;
