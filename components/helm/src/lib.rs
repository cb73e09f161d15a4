//! Helm tools. Release reads decode the release records Helm 3 keeps in the
//! cluster (no helm binary needed); installs, upgrades, rollbacks,
//! uninstalls, rendering and chart repositories go through the runtime's
//! `helm` capability, which runs the configured helm binary under the
//! runtime's Kubernetes, file and egress policy. No network egress of its own.

mod charts;
mod common;
mod find;
mod reads;
mod release;
mod write;

use k8s_mcp_sdk::prelude::*;

struct Helm;

impl Service for Helm {
    fn tools() -> Vec<Tool> {
        vec![
            // Release reads (from the release records in the cluster).
            Tool::new("list_releases", "List releases (newest revision each) in a namespace or across all namespaces.", reads::list_releases).read_only(),
            Tool::new("list_releases_paginated", "Page through releases with compact entries; optional namespace and status filters, `offset:N` continue tokens (limit default 50, max 100).", reads::list_releases_paginated).read_only(),
            Tool::new("list_releases_summary", "Compact release list with limit (default 50, max 200) and offset.", reads::list_releases_summary).read_only(),
            Tool::new("list_releases_in_namespace", "Compact list of the releases in one namespace.", reads::list_releases_in_namespace).read_only(),
            Tool::new("get_release", "The full release record (chart metadata, values, info, manifest, hooks) of the newest or a given revision; Secret values in manifests are masked.", reads::get_release).read_only(),
            Tool::new("get_release_status", "Status of a release: state, revision, description, timestamps, notes.", reads::get_release_status).read_only(),
            Tool::new("get_release_summary", "Brief summary of one release: state, revision, chart, number of objects and user values.", reads::get_release_summary).read_only(),
            Tool::new("get_release_values", "Values of a release: user-supplied only, or all (chart defaults coalesced with them) when all=true.", reads::get_release_values).read_only(),
            Tool::new("get_release_manifest", "The rendered Kubernetes YAML stored in a release revision (Secret values masked).", reads::get_release_manifest).read_only(),
            Tool::new("get_release_history", "Revision history of a release, oldest first (max keeps the newest N).", reads::get_release_history).read_only(),
            Tool::new("get_release_history_paginated", "Revision history, newest first, in pages (limit default 20, max 50) with optional status.", reads::get_release_history_paginated).read_only(),
            Tool::new("compare_revisions", "Two revisions of a release side by side, with the values paths, chart and objects that differ.", reads::compare_revisions).read_only(),
            Tool::new("get_resources_of_release", "Kubernetes objects a release contains (from its manifest); includeStatus looks each up in the cluster (limit default 50, max 200).", find::get_resources_of_release).read_only(),
            Tool::new("find_releases_by_labels", "Releases whose storage labels match a selector (`k=v`, `k!=v`, comma = AND), e.g. status=deployed (limit default 30, max 100).", find::find_releases_by_labels).read_only(),
            Tool::new("find_releases_by_chart", "Releases built from a chart name, optionally an exact chart version (limit default 50, max 100).", find::find_releases_by_chart).read_only(),
            Tool::new("find_broken_releases", "Releases in failed or pending states.", find::find_broken_releases).read_only(),
            Tool::new("get_recent_failures", "Failed (optionally pending) releases, newest first (limit default 20, max 50).", find::get_recent_failures).read_only(),
            Tool::new("validate_release", "Check a release: its state and whether the objects of its manifest exist in the cluster.", find::validate_release).read_only(),
            Tool::new("cluster_overview", "Totals of releases by status, namespace and chart.", find::cluster_overview).read_only(),
            Tool::new("quick_info", "Quick overview of all releases: totals by status and the most recently updated.", find::quick_info).read_only(),
            Tool::new("health_check", "Self-diagnosis: helm binary, release access in the cluster, repository configuration, cache.", find::health_check).read_only(),
            // Charts and repositories (per tenant).
            Tool::new("list_repos", "List the configured chart repositories (name, URL).", charts::list_repos).read_only(),
            Tool::new("search_charts", "Search charts in the cached repository indexes by keyword (alias query); devel includes pre-releases.", charts::search_charts).read_only(),
            Tool::new("get_chart_info", "Chart metadata (Chart.yaml): description, versions, maintainers, dependencies.", charts::get_chart_info).read_only().open_world(),
            Tool::new("template_chart", "Render a chart locally (helm template) with optional values and values_file, without installing it.", write::template_chart).read_only().open_world(),
            Tool::new("cache_stats", "Path, file count, size and indexes of the repository cache.", charts::cache_stats).read_only(),
            Tool::new("add_repository", "Add a chart repository (URL allowed by the egress policy) and fetch its index.", charts::add_repository).idempotent().open_world(),
            Tool::new("remove_repository", "Remove a chart repository.", charts::remove_repository).destructive().idempotent(),
            Tool::new("update_repositories", "Refresh the index of every repository (or of the named ones).", charts::update_repositories).idempotent().open_world(),
            Tool::new("clear_cache", "Delete the cached repository indexes and charts.", charts::clear_cache).destructive().idempotent(),
            // Release changes (through the runtime's helm capability).
            Tool::new("install_release", "Install a chart as a new release, with values (object or YAML) and/or values_file; dry_run renders and validates only.", write::install_release).open_world(),
            Tool::new("upgrade_release", "Upgrade a release to a chart version and values (install=true installs when missing); dry_run supported.", write::upgrade_release).destructive().open_world(),
            Tool::new("rollback_release", "Roll a release back to a revision (0 or omitted: the previous one).", write::rollback_release).destructive(),
            Tool::new("uninstall_release", "Uninstall a release and delete its objects (keep_history keeps the record).", write::uninstall_release).destructive().idempotent(),
        ]
    }
}

export_service!(Helm);
