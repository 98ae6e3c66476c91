"""Whether the region's Azure ML quota leaves room for one node of a VM size, before a cluster is made."""

from aml.messages import bounded, fail

PORTAL_QUOTAS = "the Azure portal: Quotas, then Machine learning"


def field(item, *keys):
    """The first of keys that item (a dict as Azure returns it, or an SDK object's attributes) has a value for."""
    values = item if isinstance(item, dict) else vars(item)
    return next((values[key] for key in keys if values.get(key) is not None), None)


def names_of(usage):
    """A usage's name and its name as the portal shows it (Azure: {"value": ..., "localizedValue": ...})."""
    name = field(usage, "name") or {}
    if not isinstance(name, dict):
        name = vars(name)
    return str(field(name, "value") or ""), str(field(name, "localizedValue", "localized_value") or "")


# The region's totals, which every cluster's nodes count against besides their family's own quota: Azure's
# name.value, and name.localizedValue as the portal shows it
REGIONAL_TOTALS = {
    "totalCores": "Total Cluster Dedicated Regional vCPUs",
    "totalLowPriorityCores": "Total Cluster LowPriority Regional vCPUs",
}
DEDICATED_TOTAL, LOW_PRIORITY_TOTAL = REGIONAL_TOTALS


def limiting_usages(usages, low_priority, family):
    """The usages a new node counts against, as Azure lists them: dedicated, its family's vCPUs (name.value is the
    family's id) and the region's dedicated total; low-priority, the region's low-priority total."""
    wanted = [LOW_PRIORITY_TOTAL] if low_priority else [family, DEDICATED_TOTAL]
    found = []
    for name in wanted:
        for usage in usages:
            value, shown = names_of(usage)
            if value.lower() == name.lower() or (name in REGIONAL_TOTALS and shown == REGIONAL_TOTALS[name]):
                found.append(usage)
                break
    return found


def check(vm_size, sizes, usages, region, low_priority=False):
    """Stop with the family, its vCPUs used/limit and the fix when one node of vm_size does not fit the quota.

    `sizes`: the region's VM sizes (each with name, family, vCPUs), `usages`: its quota usages, both as Azure
    answers them (dicts, or the SDK's objects). A size or usage Azure does not list is left to Azure to judge."""
    size = next((s for s in sizes if str(field(s, "name") or "").lower() == vm_size.lower()), None)
    if size is None:
        offered = sorted(str(field(s, "name")) for s in sizes)
        if offered:
            fail(
                f"VM size {vm_size} is not offered for Azure ML clusters in {region}",
                f"pick one that is, with --vm-size (or vm_size in .azureml/settings.yml), such as "
                f"{', '.join(offered[:5])}",
            )
        return
    family = str(field(size, "family") or "")
    cores = int(field(size, "vCPUs", "v_cp_us") or 0)
    short = [
        usage
        for usage in limiting_usages(usages, low_priority, family)
        if int(field(usage, "limit") or 0) - int(field(usage, "currentValue", "current_value") or 0) < cores
    ]
    if not short or cores == 0:
        return
    usage = short[0]  # the family's own quota first, then the region's total
    used, limit = int(field(usage, "currentValue", "current_value") or 0), int(field(usage, "limit") or 0)
    kind = "low-priority" if low_priority else "dedicated"
    value, shown = names_of(usage)
    quota = shown or value
    instead = (
        "drop --low-priority (dedicated nodes have their own quota)"
        if low_priority
        else ("--low-priority (its own quota, cheaper nodes Azure may take back)")
    )
    fail(
        f"not enough {kind} vCPU quota in {region} for one {vm_size} node ({cores} vCPUs, family {family}): "
        f"{quota} has {used}/{limit} in use",
        f"request more for '{quota}' in {PORTAL_QUOTAS} ({region}), or use another size (--vm-size) or {instead}",
    )


def check_in_time(read, vm_size, low_priority, timeout):
    """Read (region, sizes, usages) with read() within timeout, then check(); a quota that cannot be read (no
    right to read it, no answer) is noted and left to Azure to judge as the cluster is made."""
    try:
        region, sizes, usages = bounded(read, timeout, f"reading the quota for {vm_size}", "run again")
    except SystemExit as err:
        problem = str(err).splitlines()[0].removeprefix("error: ")
        print(f"note: the quota was not checked ({problem}); Azure checks it as it makes the cluster", flush=True)
        return
    check(vm_size, sizes, usages, region, low_priority)
