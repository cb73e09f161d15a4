//! The `kibana` service: spaces, data views and index patterns, saved
//! objects (dashboards, visualizations, saved searches, Lens, maps, Canvas),
//! alerting rules, connectors, status and log search, through the Kibana
//! REST API of the configured URL (`MCP_KIBANA_URL` or
//! `components.kibana.settings.url`).
//!
//! Tool and parameter names follow the Go k8s-mcp-server; routes are
//! Kibana's documented ones (`/s/{space}/api/...` in a non-default space,
//! `kbn-xsrf` on writes). Every list is paged (default 20, at most 100) and
//! compact unless `raw` is asked for.
//!
//! Where the Go server's routes do not exist in Kibana, the documented ones
//! are used instead: alerting under `/api/alerting/rule(s)`, connectors
//! under `/api/actions/connector(s)`, data views under
//! `/api/data_views/data_view`; index-pattern fields, the default index
//! pattern and field refresh through the data views API; a rule's run
//! history from its `monitoring.run.history`; a muted-for-a-while rule
//! through `snooze_schedule` (Kibana 8.19+), an indefinitely muted one
//! through `_mute_all`; import as multipart; log search through the Console
//! proxy (`/api/console/proxy`), since `/internal/search/es` is internal.
//! Kibana's saved-object find API has no sort order, so `sort_order=desc`
//! reverses the returned page.

mod client;
mod connectors;
mod dashboards;
mod data_views;
mod index_patterns;
mod logs;
mod object_type;
mod rules;
mod saved_objects;
mod spaces;
mod status;
mod visualizations;

use k8s_mcp_sdk::prelude::*;
use saved_objects::TypeListArgs;

struct Kibana;

fn list_of(kind: &'static str) -> impl Fn(TypeListArgs, &Context) -> Result<Output, ToolError> {
    move |a, ctx| saved_objects::list_type(kind, a, ctx)
}

impl Service for Kibana {
    fn tools() -> Vec<Tool> {
        vec![
            // Spaces
            Tool::new("get_spaces", "List Kibana spaces (compact; `raw` for full objects).", spaces::get_spaces)
                .read_only(),
            Tool::new("get_space", "One Kibana space by ID.", spaces::get_space).read_only(),
            Tool::new(
                "spaces_summary",
                "Compact space list (id, name), at most `limit` (default 20, max 100).",
                spaces::spaces_summary,
            )
            .read_only(),
            Tool::new(
                "create_space",
                "Create a space (id, name, description, color, initials, disabled features).",
                spaces::create_space,
            ),
            Tool::new(
                "update_space",
                "Update a space's name, description, color, initials or disabled features.",
                spaces::update_space,
            )
            .idempotent(),
            Tool::new(
                "delete_space",
                "Delete a space and everything in it. Refused while it holds saved objects unless force=true.",
                spaces::delete_space,
            )
            .destructive()
            .idempotent(),
            // Index patterns
            Tool::new(
                "get_index_patterns",
                "List index patterns (id, title, time field), paged.",
                index_patterns::get_index_patterns,
            )
            .read_only(),
            Tool::new(
                "index_patterns_summary",
                "Compact index-pattern list, paged.",
                index_patterns::get_index_patterns,
            )
            .read_only(),
            Tool::new("get_index_pattern", "One index-pattern saved object.", index_patterns::get_index_pattern)
                .read_only(),
            Tool::new(
                "get_index_pattern_fields",
                "Fields of an index pattern (name, type, searchable, aggregatable), paged and filterable by name.",
                index_patterns::get_index_pattern_fields,
            )
            .read_only(),
            Tool::new(
                "create_index_pattern",
                "Create an index pattern (title, time field, field formats).",
                index_patterns::create_index_pattern,
            ),
            Tool::new(
                "update_index_pattern",
                "Update an index pattern's title, time field or field formats.",
                index_patterns::update_index_pattern,
            )
            .idempotent(),
            Tool::new("delete_index_pattern", "Delete an index pattern.", index_patterns::delete_index_pattern)
                .destructive()
                .idempotent(),
            Tool::new(
                "set_default_index_pattern",
                "Make an index pattern (data view) the space's default.",
                index_patterns::set_default_index_pattern,
            )
            .idempotent(),
            Tool::new(
                "refresh_index_pattern_fields",
                "Reload an index pattern's field list from Elasticsearch.",
                index_patterns::refresh_index_pattern_fields,
            )
            .idempotent(),
            // Data views
            Tool::new("get_data_views", "List data views (id, title, name), paged.", data_views::get_data_views)
                .read_only(),
            Tool::new(
                "get_data_view",
                "One data view (field names only unless include_fields).",
                data_views::get_data_view,
            )
            .read_only(),
            Tool::new(
                "create_data_view",
                "Create a data view (title, name, time field, source filters, field formats).",
                data_views::create_data_view,
            ),
            Tool::new(
                "update_data_view",
                "Update a data view's title, name or time field.",
                data_views::update_data_view,
            )
            .idempotent(),
            Tool::new("delete_data_view", "Delete a data view.", data_views::delete_data_view)
                .destructive()
                .idempotent(),
            // Dashboards
            Tool::new(
                "get_dashboards",
                "List dashboards (compact, paged; `raw` for full objects).",
                list_of("dashboard"),
            )
            .read_only(),
            Tool::new("get_dashboard", "One dashboard saved object.", dashboards::get_dashboard).read_only(),
            Tool::new("dashboards_summary", "Compact paged dashboard list.", dashboards::dashboards_paginated)
                .read_only(),
            Tool::new(
                "dashboards_paginated",
                "Paged dashboards with optional title search and descriptions.",
                dashboards::dashboards_paginated,
            )
            .read_only(),
            Tool::new(
                "get_dashboard_detail_advanced",
                "A dashboard with its parsed panels, time options and optionally uiState (structured, summary or raw).",
                dashboards::get_dashboard_detail_advanced,
            )
            .read_only(),
            Tool::new(
                "create_dashboard",
                "Create an empty dashboard with title, description and time settings.",
                dashboards::create_dashboard,
            ),
            Tool::new(
                "update_dashboard",
                "Update a dashboard's title, description, panelsJSON or time range.",
                dashboards::update_dashboard,
            )
            .idempotent(),
            Tool::new("delete_dashboard", "Delete a dashboard.", dashboards::delete_dashboard)
                .destructive()
                .idempotent(),
            Tool::new("clone_dashboard", "Copy a dashboard under a new title.", dashboards::clone_dashboard),
            // Visualizations
            Tool::new(
                "get_visualizations",
                "List visualizations (compact, paged; `raw` for full objects).",
                list_of("visualization"),
            )
            .read_only(),
            Tool::new("get_visualization", "One visualization saved object.", visualizations::get_visualization)
                .read_only(),
            Tool::new(
                "visualizations_summary",
                "Compact paged visualization list.",
                visualizations::visualizations_paginated,
            )
            .read_only(),
            Tool::new(
                "visualizations_paginated",
                "Paged visualizations with optional title search and visualization type filter.",
                visualizations::visualizations_paginated,
            )
            .read_only(),
            Tool::new(
                "create_visualization",
                "Create a visualization (title, visState, description).",
                visualizations::create_visualization,
            ),
            Tool::new(
                "update_visualization",
                "Update a visualization's title, visState or description.",
                visualizations::update_visualization,
            )
            .idempotent(),
            Tool::new("delete_visualization", "Delete a visualization.", visualizations::delete_visualization)
                .destructive()
                .idempotent(),
            Tool::new(
                "clone_visualization",
                "Copy a visualization under a new title.",
                visualizations::clone_visualization,
            ),
            // Other saved objects
            Tool::new("get_saved_searches", "List saved searches (Discover sessions), paged.", list_of("search"))
                .read_only(),
            Tool::new("get_saved_search", "One saved search.", saved_objects::get_saved_search).read_only(),
            Tool::new("get_canvas_workpads", "List Canvas workpads, paged.", list_of("canvas-workpad")).read_only(),
            Tool::new("get_lens_objects", "List Lens visualizations, paged.", list_of("lens")).read_only(),
            Tool::new("get_maps", "List Maps saved objects, paged.", list_of("map")).read_only(),
            Tool::new(
                "search_saved_objects",
                "Search saved objects by type and text, paged (compact rows; `raw` for full objects).",
                saved_objects::search_saved_objects,
            )
            .read_only(),
            Tool::new(
                "search_saved_objects_advanced",
                "Saved-object search with sort field/order, has_reference and attribute selection.",
                saved_objects::search_saved_objects_advanced,
            )
            .read_only(),
            Tool::new(
                "create_saved_object",
                "Create a saved object of any type from attributes and references.",
                saved_objects::create_saved_object,
            ),
            Tool::new(
                "update_saved_object",
                "Update a saved object's attributes and/or references.",
                saved_objects::update_saved_object,
            )
            .idempotent(),
            Tool::new("delete_saved_object", "Delete a saved object of any type.", saved_objects::delete_saved_object)
                .destructive()
                .idempotent(),
            Tool::new(
                "bulk_delete_saved_objects",
                "Delete up to 100 saved objects at once; reports success per object.",
                saved_objects::bulk_delete_saved_objects,
            )
            .destructive(),
            Tool::new(
                "export_saved_objects",
                "Export up to 100 saved objects (with their references by default) as NDJSON for import.",
                saved_objects::export_saved_objects,
            )
            .read_only(),
            Tool::new(
                "import_saved_objects",
                "Import saved objects from NDJSON (as produced by export), optionally as new copies or overwriting.",
                saved_objects::import_saved_objects,
            )
            .destructive(),
            // Alerting rules
            Tool::new(
                "get_alert_rules",
                "List alerting rules (compact, paged), by KQL filter, enabled flag or name search.",
                rules::get_alert_rules,
            )
            .read_only(),
            Tool::new("get_alert_rule", "One alerting rule.", rules::get_alert_rule).read_only(),
            Tool::new(
                "create_alert_rule",
                "Create an alerting rule (name, rule type, schedule, params, actions, tags).",
                rules::create_alert_rule,
            ),
            Tool::new(
                "update_alert_rule",
                "Update an alerting rule's name, schedule, params, actions or tags.",
                rules::update_alert_rule,
            )
            .idempotent(),
            Tool::new("delete_alert_rule", "Delete an alerting rule.", rules::delete_alert_rule)
                .destructive()
                .idempotent(),
            Tool::new("enable_alert_rule", "Enable an alerting rule.", rules::enable_alert_rule).idempotent(),
            Tool::new("disable_alert_rule", "Disable an alerting rule.", rules::disable_alert_rule).idempotent(),
            Tool::new(
                "mute_alert_rule",
                "Silence a rule's actions: snooze for a duration (e.g. 2h) or mute all its alerts (`indefinite`).",
                rules::mute_alert_rule,
            ),
            Tool::new("unmute_alert_rule", "Unmute a rule and remove its snooze schedules.", rules::unmute_alert_rule)
                .idempotent(),
            Tool::new(
                "get_alert_rule_types",
                "Rule types available (id, name, producer, action groups).",
                rules::get_alert_rule_types,
            )
            .read_only(),
            Tool::new(
                "get_alert_rule_history",
                "A rule's recent runs (newest first, paged) with its execution status.",
                rules::get_alert_rule_history,
            )
            .read_only(),
            Tool::new(
                "get_alerts",
                "List rules through the legacy alerts API (Kibana 7.x/8.x), paged.",
                rules::get_alerts,
            )
            .read_only(),
            // Connectors
            Tool::new("get_connectors", "List connectors (compact, paged).", connectors::get_connectors).read_only(),
            Tool::new(
                "get_connector",
                "One connector (config only; secrets are never returned).",
                connectors::get_connector,
            )
            .read_only(),
            Tool::new("create_connector", "Create a connector (type, config, secrets).", connectors::create_connector),
            Tool::new(
                "update_connector",
                "Update a connector's name, config or secrets.",
                connectors::update_connector,
            )
            .idempotent(),
            Tool::new("delete_connector", "Delete a connector.", connectors::delete_connector)
                .destructive()
                .idempotent(),
            Tool::new(
                "test_connector",
                "Run a connector with the given parameters (really sends, e.g. a message or webhook call).",
                connectors::test_connector,
            )
            .open_world(),
            Tool::new(
                "get_connector_types",
                "Connector types and whether they are enabled and licensed.",
                connectors::get_connector_types,
            )
            .read_only(),
            // Status and logs
            Tool::new(
                "test_connection",
                "Check that Kibana is reachable and the credentials work.",
                status::test_connection,
            )
            .read_only(),
            Tool::new(
                "get_status",
                "Kibana version, overall/core status and plugin levels (`raw` for the full document).",
                status::get_status,
            )
            .read_only(),
            Tool::new(
                "health_summary",
                "Compact health view (basic or detailed), optionally with saved-object counts per type.",
                status::health_summary,
            )
            .read_only(),
            Tool::new(
                "query_logs",
                "Search log documents of an index pattern with a query string and time range (size capped at 500): \
                 level counts, time span and compact hits (`raw` for full documents).",
                logs::query_logs,
            )
            .read_only(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Kibana);
