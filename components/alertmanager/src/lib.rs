//! The `alertmanager` service: alerts, alert groups, silences, receivers and
//! status through the Alertmanager API v2 of the configured address
//! (`components.alertmanager.settings.address` or MCP_ALERTMANAGER_ADDRESS).
//!
//! Summary and paginated tools fetch the full list once, then filter, sort
//! and page here (page size default 20, at most 100), since the v2 API has
//! no paging of its own.

mod alerts;
mod common;
mod groups;
mod silences;
mod status;

use k8s_mcp_sdk::backend::Backend;
use k8s_mcp_sdk::prelude::*;

/// The configured Alertmanager; a clear "not configured" error otherwise.
fn backend(ctx: &Context) -> Result<Backend, ToolError> {
    Backend::from_context(
        ctx,
        "alertmanager",
        "address",
        "set MCP_ALERTMANAGER_ADDRESS or components.alertmanager.settings.address",
    )
}

struct Alertmanager;

impl Service for Alertmanager {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new(
                "get_status",
                "Alertmanager status: version, start time (uptime), cluster state and peers, and the loaded configuration.",
                status::get_status,
            )
            .title("Alertmanager status")
            .read_only(),
            Tool::new(
                "get_alerts",
                "Current alerts (full v2 objects). Optional `filters` object with the API's query filters: \
                 active/silenced/inhibited/unprocessed (include flags, default true), filter (label matchers) \
                 and receiver (regex).",
                alerts::get_alerts,
            )
            .title("Alerts")
            .read_only(),
            Tool::new(
                "get_alert_groups",
                "Alerts grouped the way the routing tree groups them (group labels, receiver, alerts).",
                groups::get_alert_groups,
            )
            .title("Alert groups")
            .read_only(),
            Tool::new("get_silences", "All silences (active, pending and expired) with counts by state.", silences::get_silences)
                .title("Silences")
                .read_only(),
            Tool::new(
                "create_silence",
                "Create a silence that mutes matching alerts from startsAt (default now) until endsAt \
                 (RFC 3339 or a duration like 2h). Needs at least one matcher, a comment and createdBy. \
                 Returns the new silenceId.",
                silences::create_silence,
            )
            .title("Create silence")
            .destructive(),
            Tool::new(
                "delete_silence",
                "Expire a silence by ID (DELETE /api/v2/silence/{id}); its alerts notify again. \
                 Expiring an already expired silence changes nothing.",
                silences::delete_silence,
            )
            .title("Expire silence")
            .destructive()
            .idempotent(),
            Tool::new("get_receivers", "Names of the configured receivers.", status::get_receivers)
                .title("Receivers")
                .read_only(),
            Tool::new(
                "test_receiver",
                "Not supported by Alertmanager: the API v2 has no receiver-test endpoint. Always fails with \
                 an explanation and alternatives (post a test alert routed to the receiver).",
                status::test_receiver,
            )
            .title("Test receiver (unsupported)")
            .destructive(),
            Tool::new(
                "query_alerts",
                "Alerts filtered server-side by receiver regex, state include flags (silenced, active, \
                 unprocessed, inhibited) and label matchers, sorted by sortBy (startsAt, endsAt, updatedAt, \
                 severity, alertname, fingerprint, state) in sortOrder asc or desc.",
                alerts::query_alerts,
            )
            .title("Query alerts")
            .read_only(),
            Tool::new(
                "alerts_summary",
                "Compact alert list (name, state, severity, receivers, times, silencedBy, summary), most \
                 severe and newest first, with counts by state, severity, alertname and receiver. Filters: \
                 label matchers, receiver regex, silenced, active_only; limit 1-100 (default 20).",
                alerts::alerts_summary,
            )
            .title("Alerts summary")
            .read_only(),
            Tool::new(
                "silences_summary",
                "Compact silence list (id, state, matchers, times, duration, time left, author, comment), \
                 active first, optionally only one status (active, pending, expired); limit 1-100 (default 20).",
                silences::silences_summary,
            )
            .title("Silences summary")
            .read_only(),
            Tool::new(
                "alert_groups_paginated",
                "Alert groups summarised (labels, receiver, alert counts by state and severity, alert names, \
                 first alerts), filtered by receiver and active_only, sorted, paged (per_page 1-100, default 20).",
                groups::alert_groups_paginated,
            )
            .title("Alert groups (paged)")
            .read_only(),
            Tool::new(
                "silences_paginated",
                "Silences filtered by status, creator and comment text, active first, paged (per_page 1-100, default 20).",
                silences::silences_paginated,
            )
            .title("Silences (paged)")
            .read_only(),
            Tool::new(
                "receivers_summary",
                "Receivers with the number of current alerts routed to each; test_info adds their \
                 integration types from the loaded configuration.",
                status::receivers_summary,
            )
            .title("Receivers summary")
            .read_only(),
            Tool::new(
                "query_alerts_advanced",
                "Alerts with label matchers, receiver regex, state include flags, a start-time window \
                 (time_range such as 6h or START/END), sorting and paging (per_page 1-100, default 20); \
                 compact output, full labels with include_labels.",
                alerts::query_alerts_advanced,
            )
            .title("Query alerts (advanced)")
            .read_only(),
            Tool::new(
                "health_summary",
                "Lightweight health view: reachable, version, uptime, cluster status and peers; level=detailed \
                 adds alert, silence and receiver counts.",
                status::health_summary,
            )
            .title("Alertmanager health")
            .read_only(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Alertmanager);
