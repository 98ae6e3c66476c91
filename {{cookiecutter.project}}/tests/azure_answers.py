"""Azure's answers as JSON, the same for both SDKs: quota usages, VM sizes, a workspace config, a run's log."""

from script_helpers import SUBSCRIPTION

REGION = "westeurope"
CONFIG = (None, {"subscription_id": SUBSCRIPTION, "resource_group": "rg", "workspace_name": "ws1"})
WD = "/mnt/azureml/cr/j/0123456789abcdef/exe/wd"
REMOTE_LOG = (  # a run's user_logs/std_log.txt: its output, then the traceback with the node's paths
    "epoch 1\nTraceback (most recent call last):\n"
    f'  File "{WD}/train.py", line 1, in <module>\n    x\n'
    f'  File "{WD}/model.py", line 2, in forward\n    y\n'
    "ValueError: broken on purpose\n"
)


def resource(group, provider, name):
    """An Azure resource id, as a workspace names the resources it was made with."""
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/{provider}/{name}"


# The resources of workspace ws1 (resource group rg): its container registry brought from another group
WORKSPACE_PARTS = {
    "storage_account": resource("rg", "Microsoft.Storage/storageAccounts", "ws1store0123"),
    "container_registry": resource("shared-rg", "Microsoft.ContainerRegistry/registries", "sharedacr"),
    "application_insights": resource("rg", "Microsoft.Insights/components", "ws1insights4567"),
    "key_vault": resource("rg", "Microsoft.KeyVault/vaults", "ws1keyvault89ab"),
}
BILLED_LINES = [  # what 99-clean-up.py says of them, once the clusters are deleted
    "  - storage account ws1store0123: uploaded data, models, run history and logs: billed per GB a month",
    "  - container registry sharedacr: the images Azure ML built of the training environment: a daily fee for its "
    "tier, and their storage (in resource group 'shared-rg': --resource-group leaves it)",
    "  - Application Insights ws1insights4567: and the Log Analytics workspace it sends to: billed per GB of logs "
    "taken in",
    "  - key vault ws1keyvault89ab: billed per operation, next to nothing when unused",
]


def usage(family, shown, used, limit, kind="vmFamily"):
    """One entry of Azure ML's usages answer (GET .../locations/{region}/usages), as JSON."""
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.MachineLearningServices/locations/{REGION}"
        f"/usages/{family}",
        "amlWorkspaceLocation": REGION,
        "type": f"Microsoft.MachineLearningServices/{kind}/usages",
        "unit": "Count",
        "currentValue": used,
        "limit": limit,
        "name": {"value": family, "localizedValue": shown},
    }


def size(name, family, cores, gpus=0):
    """One VM size of Azure ML's vmSizes answer, as JSON."""
    return {
        "name": name,
        "family": family,
        "vCPUs": cores,
        "gpus": gpus,
        "osVhdSizeMB": 1047552,
        "maxResourceVolumeMB": 102400,
        "memoryGB": 7.0,
        "lowPriorityCapable": True,
        "premiumIO": False,
        "supportedComputeTypes": ["ComputeInstance", "AmlCompute"],
    }


SIZES = [size("Standard_D2_v2", "standardDv2Family", 2), size("Standard_NC4as_T4_v3", "standardNCASv3_T4Family", 4, 1)]


def usages(dv2_used=0, total_used=4, low_priority_used=0):
    """The region's usages: 6 Dv2 vCPUs (dv2_used of them in use), none for T4 GPUs, and the region's totals: 100
    dedicated (total_used in use), 100 low-priority (low_priority_used), each a row of its own."""
    return [
        usage("totalCores", "Total Cluster Dedicated Regional vCPUs", total_used, 100, "totalCores"),
        usage("standardDv2Family", "Standard Dv2 Family Cluster Dedicated vCPUs", dv2_used, 6),
        usage("standardNCASv3_T4Family", "Standard NCASv3_T4 Family Cluster Dedicated vCPUs", 0, 0),
        usage(
            "totalLowPriorityCores",
            "Total Cluster LowPriority Regional vCPUs",
            low_priority_used,
            100,
            "totalLowPriorityCores",
        ),
    ]
