"""What 99-clean-up.py deletes, its confirmation, and deleting the resource group (with the Azure CLI)."""

import argparse
import shutil
import subprocess
import sys

from aml import costs, settings
from aml.messages import fail, summary
from aml.settings import read_config, workspace_name

# The parts Azure makes a workspace with (01-create-workspace.py), by the SDKs' names: what each holds and bills
WORKSPACE_PARTS = {
    "storage_account": ("storage account", "uploaded data, models, run history and logs: billed per GB a month"),
    "container_registry": (
        "container registry",
        "the images Azure ML built of the training environment: a daily fee for its tier, and their storage",
    ),
    "application_insights": (
        "Application Insights",
        "and the Log Analytics workspace it sends to: billed per GB of logs taken in",
    ),
    "key_vault": ("key vault", "billed per operation, next to nothing when unused"),
}
LOG_ANALYTICS_LEFT = (
    "Left: a Log Analytics workspace that Azure may have made for Application Insights in a resource group of its "
    "own, DefaultResourceGroup-<region code> (such as DefaultResourceGroup-WEU for westeurope). It is not in this "
    "group, so it stays, billed per GB of logs taken in: delete it in the Azure portal (Log Analytics workspaces) "
    "if nothing else uses it."
)
DELETE_TIMEOUT_S = 900  # for Azure to delete one cluster (its nodes are already gone when it is idle)
PORTAL = "the Azure portal (Resource groups, then the group, then Delete resource group)"


def arguments(description, argv=None):
    """99's flags; the clusters it deletes by default: the settings' compute_name and 02's --gpu cluster."""
    chosen = settings.load()
    clusters = list(dict.fromkeys([chosen.compute_name, settings.GPU_COMPUTE_NAME]))
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--resource-group",
        action="store_true",
        help="delete the workspace's whole resource group instead: the workspace, its storage (data, models, run "
        "history), container registry, key vault, Application Insights and anything else in the group",
    )
    parser.add_argument(
        "--cluster",
        action="append",
        dest="clusters",
        metavar="NAME",
        help=f"a cluster to delete (default: {', '.join(clusters)}; may be given more than once)",
    )
    parser.add_argument("--dry-run", action="store_true", help="say what would be deleted, offline; delete nothing")
    parser.add_argument("--yes", action="store_true", help="delete without asking (needed without a terminal)")
    parser.add_argument(
        "--timeout", type=float, default=settings.TIMEOUT_S, help="seconds for logging in and each look-up"
    )
    args = parser.parse_args(argv)
    args.clusters = args.clusters or clusters
    return args


def resource_group(config):
    """The resource group a workspace config names, itself or in its Scope (a resource id)."""
    scope = (config.get("Scope") or "").split("/")
    found = scope[scope.index("resourceGroups") + 1] if "resourceGroups" in scope[:-1] else None
    return config.get("resource_group") or found


def plan(args):
    """Read the config (offline) and say what will be deleted; returns (workspace config, workspace, group). A dry run
    needs no config: it says what would be deleted in the workspace the config will name."""
    try:
        workspace = read_config()
    except SystemExit:
        if not args.dry_run:
            raise
        print("No .azureml/config.json yet: a dry run says what would be deleted in the workspace it will name.")
        workspace = None
    config = workspace[1] if workspace else {}
    name = workspace_name(config) if config else "(named by .azureml/config.json)"
    group = resource_group(config) if config else "(the workspace's)"
    if args.resource_group:
        print(f"Deletes resource group {group!r} and everything in it: workspace {name!r}, its clusters, and")
        print("\n".join(billed_parts()))
        print("This cannot be undone; the costs of all of them stop.")
        print(LOG_ANALYTICS_LEFT)
    else:
        print(
            f"Deletes the compute cluster(s) {', '.join(args.clusters)} of workspace {name!r} (those that exist), and "
            "its managed online endpoints (08-deploy.py's: each bills every hour it exists). The workspace stays, and "
            "with it these, which still cost (99-clean-up.py --resource-group deletes them):"
        )
        print("\n".join(billed_parts()))
    return workspace, name, group


def endpoint_lines(endpoints, checked, workspace):
    """A line for each managed online endpoint, with its deployments and what they cost an hour; or why none."""
    if not checked:
        return [
            "Endpoints not checked: azure-ai-ml is not installed here (08-deploy.py's endpoints bill every hour; see "
            "Azure ML Studio, Endpoints, or pip install azure-ai-ml azure-identity and run again)."
        ]
    if not endpoints:
        return [f"No managed online endpoint in workspace {workspace!r}: nothing to delete."]
    lines = []
    for name, deployments in endpoints:
        parts = ", ".join(f"{deployment} ({count} x {size})" for deployment, size, count in deployments) or "none"
        prices = [costs.endpoint_price(size) for _, size, _ in deployments]
        if None in prices:
            cost = f"see {costs.PRICES_PAGE} for what it costs an hour, used or not"
        else:
            hourly = sum(price * count for price, (_, _, count) in zip(prices, deployments, strict=True))
            cost = f"about ${hourly:.3f} an hour, used or not"
        lines.append(f"Endpoint {name!r}: deployments {parts}; {cost}")
    return lines


def billed_parts(parts=None, group=None):
    """A line for each part of the workspace that bills while it exists; `parts`: {kind: Azure resource id} where
    known (from the workspace), a part outside `group` said to be left by --resource-group."""
    lines = []
    for kind, (label, what) in WORKSPACE_PARTS.items():
        resource = (parts or {}).get(kind)
        named = f" {resource.rstrip('/').rsplit('/', 1)[-1]}" if resource else ""
        elsewhere = resource_group_of(resource) if resource else None
        outside = (
            f" (in resource group {elsewhere!r}: --resource-group leaves it)"
            if group and elsewhere and elsewhere.lower() != group.lower()
            else ""
        )
        lines.append(f"  - {label}{named}: {what}{outside}")
    return lines


def resource_group_of(resource_id):
    """The resource group in an Azure resource id (/subscriptions/…/resourceGroups/NAME/providers/…), or None."""
    words = resource_id.split("/")
    lowered = [word.lower() for word in words]
    return words[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else None


def need_confirmation(args):
    """Stop, before any network call, when nobody can confirm: no --yes, no terminal to ask in."""
    if args.yes or args.dry_run:
        return
    if sys.stdin is None or not sys.stdin.isatty():
        fail("99-clean-up.py asks before it deletes, and there is no terminal to ask in", "pass --yes to delete")


def confirm(args, what, name):
    """Ask the person to type name to delete what (skipped with --yes); stops when they do not."""
    if args.yes:
        return
    try:
        answer = input(f"Type {name} to delete {what}: ")
    except EOFError:
        answer = ""
    if answer.strip() != name:
        fail(f"nothing deleted: the answer was not {name!r}", f"run again and type {name}, or pass --yes")


def delete_resource_group(group, subscription, timeout):
    """Start deleting the resource group with the Azure CLI (az group delete --no-wait), within timeout seconds."""
    az = shutil.which("az")
    if not az:
        fail(
            f"deleting resource group {group!r} needs the Azure CLI, which is not installed",
            f"install it and run 'az login', or delete the group in {PORTAL}",
        )
    command = [az, "group", "delete", "--name", group, "--yes", "--no-wait"]
    command += ["--subscription", subscription] if subscription else []
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        fail(
            f"no answer after {timeout:g} s while deleting resource group {group!r}",
            "check your network, then run again",
        )
    if result.returncode != 0:
        problem = summary(RuntimeError(result.stderr.strip() or result.stdout.strip() or "no message"))
        fail(
            f"deleting resource group {group!r} failed: {problem}",
            f"log in with 'az login' (an account allowed to delete the group), or delete it in {PORTAL}",
        )
    print(f"Azure is deleting resource group {group!r} and everything in it (it takes some minutes).")
