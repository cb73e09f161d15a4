//! Kubernetes tools. Cluster access goes through the runtime's `kube` host
//! capability, which enforces policy (read-only mode, namespaces, kinds,
//! Secret masking, exec gate); this component has no network egress.

mod cluster;
mod common;
mod describe;
mod diagnose;
mod events;
mod jsonpath;
mod read;
mod rollout;
mod summary;
mod table;
mod workload;
mod write;

use k8s_mcp_sdk::prelude::*;

struct Kubernetes;

impl Service for Kubernetes {
    fn tools() -> Vec<Tool> {
        vec![
            // Reads.
            Tool::new("list_resources", "List objects of one kind (label/field selectors, paging with continueToken; limit default 30, max 500) as compact summary rows (the columns kubectl prints, rendered by the API server; custom resources get their printer columns); `full: true` for complete objects, jsonpath/jsonpaths to project columns, `output: yaml` for YAML. Returns items, `continue` and `remainingItemCount`.", read::list_resources).read_only(),
            Tool::new("list_resources_summary", "Page through objects of one kind as compact summary rows: the columns kubectl prints (name, status, age, ...; custom resources: their printer columns), namespace when listing all namespaces, labels with includeLabels.", read::list_resources_summary).read_only(),
            Tool::new("list_resources_full", "List complete objects in small pages (limit default 10, max 100) for deep inspection.", read::list_resources_full).read_only(),
            Tool::new("get_resource", "Fetch one object as JSON; optional jsonpath (`{.status.phase}` or `status.phase`, `[0]`, `[*]`) projects a field.", read::get_resource).read_only(),
            Tool::new("get_resource_summary", "Fetch one object as a compact summary: status, age, labels, conditions.", read::get_resource_summary).read_only(),
            Tool::new("get_resource_details", "Fetch one complete object (managedFields stripped, Secret values masked).", read::get_resource_details).read_only(),
            Tool::new("describe_resource", "kubectl-describe-like text of one object: key fields, conditions and its events sorted by time.", read::describe_resource).read_only(),
            Tool::new("get_resources_detail", "Fetch several named objects of one kind, optionally with their events.", read::get_resources_detail).read_only(),
            Tool::new("get_resource_detail_advanced", "One object with its events, owners and pods, and condition-based diagnostics (outputFormat compact, structured or verbose).", read::get_resource_detail_advanced).read_only(),
            Tool::new("get_pod_logs", "Tail of a pod container's log (tailLines default 50, max 5000; container, previous, sinceSeconds).", events::get_pod_logs).read_only(),
            Tool::new("get_events", "List events, newest first, in a compact shape (field selector, paging).", events::get_events).read_only(),
            Tool::new("get_recent_events", "Recent non-Normal events in a compact shape (limit default 20, max 200).", events::get_recent_events).read_only(),
            Tool::new("get_events_detail", "Full event objects; warnings only unless includeNormalEvents.", events::get_events_detail).read_only(),
            Tool::new("check_permissions", "Whether the current identity may perform a verb on a resource (kubectl auth can-i).", cluster::check_permissions).read_only(),
            Tool::new("get_api_versions", "Group/versions served by the cluster (kubectl api-versions).", cluster::get_api_versions).read_only(),
            Tool::new("get_api_resources", "Resource types served by the cluster, filterable by apiGroup and namespaced.", cluster::get_api_resources).read_only(),
            Tool::new("get_rollout_status", "Rollout status of a Deployment, StatefulSet or DaemonSet; with wait=true poll until it completes or timeoutSeconds.", workload::get_rollout_status).read_only(),
            Tool::new("wait_for_resource", "Poll an object until a condition holds: ready, available, complete, exists or deleted (timeoutSeconds default 120, pollIntervalSeconds default 2).", workload::wait_for_resource).read_only(),
            Tool::new("get_node_conditions", "A node's conditions, taints, addresses, versions, capacity and allocatable.", cluster::get_node_conditions).read_only(),
            Tool::new("get_unhealthy_resources", "Scan kinds (default Pod, Job, Deployment, StatefulSet, DaemonSet) for crashing, pending, failed or unavailable objects.", diagnose::get_unhealthy_resources).read_only(),
            Tool::new("get_resource_usage", "Current CPU/memory usage of nodes or pods (metrics.k8s.io; needs metrics-server).", cluster::get_resource_usage).read_only(),
            Tool::new("search_resources", "Find objects by name (contains, startsWith, endsWith, exact) and/or labels across one or more kinds.", diagnose::search_resources).read_only(),
            Tool::new("analyze_issue", "Rule-based diagnosis of pod_crash, pod_pending, deployment_unavailable or job_failed, with findings and recommendations.", diagnose::analyze_issue).read_only(),
            // Writes.
            Tool::new("create_resource", "Create an object from kind + apiVersion + metadata (+ spec/data), or from a full `manifest`; dry_run supported.", write::create_resource),
            Tool::new("patch_resource", "Patch an object: patchType merge (default), strategic, json (operation array) or apply (server-side apply, field manager k8s-mcp-runtime); dry_run supported.", write::patch_resource).destructive(),
            Tool::new("delete_resource", "Delete one object (propagationPolicy, gracePeriodSeconds, dry_run).", write::delete_resource).destructive().idempotent(),
            Tool::new("scale_resource", "Set the replica count of a scalable workload through its scale subresource; dry_run supported.", write::scale_resource).destructive().idempotent(),
            Tool::new("restart_workload", "Rollout-restart a Deployment, StatefulSet or DaemonSet (kubectl.kubernetes.io/restartedAt); optionally wait until ready; dry_run supported.", workload::restart_workload).destructive(),
            Tool::new("rollout_undo", "Roll a Deployment, StatefulSet or DaemonSet back to its previous revision or to toRevision (kubectl rollout undo); dry_run supported.", rollout::rollout_undo).destructive(),
            Tool::new("cordon_node", "Mark a node unschedulable.", write::cordon_node).destructive().idempotent(),
            Tool::new("uncordon_node", "Mark a node schedulable again.", write::uncordon_node).destructive().idempotent(),
            Tool::new("drain_node", "Cordon a node and evict its pods through the Eviction API (PodDisruptionBudgets honoured; blocked evictions are retried until timeoutSeconds). DaemonSet pods are skipped; pods with emptyDir need deleteEmptyDir.", workload::drain_node).destructive(),
            Tool::new("pod_exec", "Run a non-interactive command in a pod container (disabled unless the runtime policy allows exec).", events::pod_exec).destructive(),
            Tool::new("port_forward", "Forward a loopback port of the runtime host (127.0.0.1 only) to a pod port for a bounded time (durationSeconds, default 60; capped by policy). Disabled unless the runtime policy allows port forwarding.", write::port_forward).destructive(),
        ]
    }
}

export_service!(Kubernetes);
