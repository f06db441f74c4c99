"""The README's example program (examples/basic.ts) in Python: the runbook for MySQL 8.4 and 8.0 and PostgreSQL 17 on a
devstack-like controller running Trove 2026.1, with a noble guest, as one component.

Needs the SDK `pulumi package add <pulumi-trove>/provider` generates (module pulumi_pulumi_trove; see
docs/multi-language.md). Its names are checked by test/provider/examples.test.ts against the schema the plugin serves.
"""

import pulumi
import pulumi_pulumi_trove as trove

config = pulumi.Config()

pipeline = trove.TroveGuestPipeline(
    "trove",
    trove_release="2026.1",
    versions=[
        trove.PipelineDatastoreVersionArgs(datastore="mysql", version="8.4", default=True),
        trove.PipelineDatastoreVersionArgs(datastore="mysql", version="8.0"),
        trove.PipelineDatastoreVersionArgs(datastore="postgresql", version="17", default=True),
    ],
    # trovestack build-image ubuntu noble true ubuntu, with HOST_SCP_USERNAME=stack
    guest_image=trove.PipelineGuestImageArgs(
        build_checkout=trove.TroveCheckoutArgs(dir="/opt/stack/trove"),
        guest_os_release="noble",
        host_scp_username="stack",
    ),
    # docker run -d --net=host -e REGISTRY_HTTP_ADDR=0.0.0.0:4000 ... registry:2, with basic auth
    registry=trove.PipelineRegistryArgs(
        local=trove.LocalRegistryOptionsArgs(
            advertised_host="10.0.0.5",
            auth=trove.LocalRegistryAuthArgs(username="trove", password=config.require_secret("registryPassword")),
        )
    ),
    # mirror mysql/postgres into 10.0.0.5:4000/trove-datastores and build db-backup-<datastore> from Trove's backup/
    datastore_images=trove.PipelineDatastoreImagesArgs(
        backup_checkout=trove.TroveCheckoutArgs(dir="/opt/stack/trove")
    ),
    # merge the registry options into /etc/trove/trove.conf and trove-guestagent.conf, restart the taskmanager
    trove_config=trove.PipelineTroveConfigArgs(
        controller=trove.TroveConfigTargetArgs(
            connection=trove.SshConnectionArgs(
                host="10.0.0.5",
                user="stack",
                private_key=config.require_secret("controllerSshKey"),
                host_key=config.require("controllerHostKey"),
            ),
            restart_on_trove_conf_change=["sudo systemctl restart devstack@tr-tmgr"],
        )
    ),
)

pulumi.export("glanceImageIds", pipeline.glance_image_ids)
pulumi.export("registryAddress", pipeline.registry_address)
pulumi.export("imageReferences", pipeline.image_references)
pulumi.export("versionSettings", pipeline.version_settings)
