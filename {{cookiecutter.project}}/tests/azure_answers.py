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
