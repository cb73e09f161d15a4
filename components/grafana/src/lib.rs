//! The `grafana` service: dashboards, folders, data sources, alert rules,
//! contact points, annotations, users, teams, roles, plugins and health
//! through the Grafana HTTP API of the configured instance
//! (`components.grafana.settings.url` or MCP_GRAFANA_URL). Tool and
//! parameter names follow the Go k8s-mcp-server; routes are Grafana's real
//! ones (alert rules and contact points through the provisioning API).
//!
//! Lists take `limit` (default 20, at most 100) and say when they were cut;
//! summary tools and `summary`/`raw` switches choose compact rows or full
//! objects.

mod access;
mod alerting;
mod annotations;
mod client;
mod dashboards;
mod datasources;
mod folders;
mod plugins;

use k8s_mcp_sdk::prelude::*;

struct Grafana;

impl Service for Grafana {
    fn tools() -> Vec<Tool> {
        use access as a;
        use alerting as al;
        use annotations as an;
        use dashboards as d;
        use datasources as ds;
        use folders as f;
        use plugins as p;
        vec![
            // Dashboards
            Tool::new(
                "dashboards",
                "List dashboards (search hits: uid, title, url, folder, tags); limit 1-100 (default 20), summary \
                 for compact rows.",
                d::dashboards,
            )
            .read_only(),
            Tool::new(
                "dashboards_summary",
                "Compact dashboard table (uid, title, folder, tags) paged by limit (1-100, default 20) and \
                 offset; nextOffset when more exist.",
                d::dashboards_summary,
            )
            .read_only(),
            Tool::new(
                "search_dashboards",
                "Search dashboards by title text, tag(s), folder UID and starred; limit 1-100 (default 20).",
                d::search_dashboards,
            )
            .read_only(),
            Tool::new(
                "dashboard",
                "Full dashboard JSON model and metadata by UID (GET /api/dashboards/uid/{uid}).",
                d::dashboard,
            )
            .read_only(),
            Tool::new(
                "dashboard_summary",
                "Compact view of one dashboard: title, folder, version, variables and a panel table (id, title, \
                 type, data source, query count).",
                d::dashboard_summary,
            )
            .read_only(),
            Tool::new(
                "update_dashboard",
                "Create or update a dashboard from its JSON model (POST /api/dashboards/db). With the uid of an \
                 existing dashboard its `version` must match the stored one unless overwrite is set; optional \
                 folderUID and commit message.",
                d::update_dashboard,
            )
            .destructive(),
            Tool::new("delete_dashboard", "Delete a dashboard by UID.", d::delete_dashboard).destructive().idempotent(),
            Tool::new(
                "get_dashboard_versions",
                "Version history of a dashboard (version, created, createdBy, message), newest first; limit 1-100 \
                 (default 20), start to page.",
                d::get_dashboard_versions,
            )
            .read_only(),
            Tool::new(
                "get_dashboard_version",
                "One stored version of a dashboard, including its JSON model.",
                d::get_dashboard_version,
            )
            .read_only(),
            Tool::new(
                "restore_dashboard_version",
                "Restore a dashboard to an earlier version (saved as a new version).",
                d::restore_dashboard_version,
            )
            .destructive(),
            Tool::new(
                "get_dashboard_panel_queries",
                "Each panel of a dashboard with its title, type, data source and query targets.",
                d::get_dashboard_panel_queries,
            )
            .read_only(),
            Tool::new(
                "get_dashboard_property",
                "One value of a dashboard model by dotted path, e.g. `title`, `panels.0.title`, \
                 `templating.list[0].query`.",
                d::get_dashboard_property,
            )
            .read_only(),
            // Folders
            Tool::new("folders", "List folders; limit 1-100 (default 20), summary for compact rows.", f::folders)
                .read_only(),
            Tool::new("folder_detail", "One folder by UID.", f::folder_detail).read_only(),
            Tool::new("create_folder", "Create a folder (optional fixed UID and parent folder).", f::create_folder),
            Tool::new(
                "update_folder",
                "Rename a folder. `version` defaults to the stored one; overwrite ignores version conflicts.",
                f::update_folder,
            )
            .destructive(),
            Tool::new(
                "delete_folder",
                "Delete a folder and its dashboards; forceDeleteRules also deletes its alert rules.",
                f::delete_folder,
            )
            .destructive()
            .idempotent(),
            // Data sources
            Tool::new(
                "datasources",
                "List data sources (credentials never shown); limit 1-100 (default 20), summary for compact rows.",
                ds::datasources,
            )
            .read_only(),
            Tool::new(
                "datasources_summary",
                "Compact data source table (uid, name, type, url, access, default) with counts by type; limit \
                 1-100 (default 20).",
                ds::datasources_summary,
            )
            .read_only(),
            Tool::new("datasource_detail", "One data source by UID (credentials never shown).", ds::datasource_detail)
                .read_only(),
            Tool::new("get_datasource_by_name", "One data source by name.", ds::get_datasource_by_name).read_only(),
            Tool::new(
                "check_datasource_health",
                "Run a data source's health check (status and message).",
                ds::check_datasource_health,
            )
            .read_only(),
            Tool::new(
                "create_datasource",
                "Create a data source (name, type, url, access, database, user, password, jsonData, \
                 secureJsonData, isDefault). Secrets are write-only.",
                ds::create_datasource,
            ),
            Tool::new(
                "update_datasource",
                "Update a data source by UID; fields not given keep their stored values.",
                ds::update_datasource,
            )
            .destructive(),
            Tool::new("delete_datasource", "Delete a data source by UID.", ds::delete_datasource)
                .destructive()
                .idempotent(),
            Tool::new(
                "query_datasource",
                "Query a data source through POST /api/ds/query: `expr` (PromQL, LogQL, ...) or full `queries`, \
                 time range from/to (default now-1h to now). Returns each frame's fields and first rows (limit \
                 1-100, default 20); raw for Grafana's full answer.",
                ds::query_datasource,
            )
            .read_only(),
            Tool::new(
                "datasource_proxy",
                "GET a path of a data source's own API through Grafana's data source proxy (e.g. `api/v1/labels` \
                 of a Prometheus data source).",
                ds::datasource_proxy,
            )
            .read_only(),
            // Alerting
            Tool::new(
                "alerts",
                "List Grafana-managed alert rules (provisioning API) as compact rows (uid, title, folder, group, \
                 condition, labels, state settings); raw for full rules; limit 1-100 (default 20).",
                al::alerts,
            )
            .read_only(),
            Tool::new(
                "get_alert_rule_by_uid",
                "One alert rule by UID, with its queries and expressions.",
                al::get_alert_rule_by_uid,
            )
            .read_only(),
            Tool::new(
                "create_alert_rule",
                "Create an alert rule: title, condition (refId), folderUID, ruleGroup (default `default`), data \
                 (queries and expressions), labels, annotations, for, noDataState, execErrState; intervalSeconds \
                 sets the group's evaluation interval.",
                al::create_alert_rule,
            ),
            Tool::new(
                "update_alert_rule",
                "Update an alert rule by UID: title, condition, folderUID, ruleGroup, data, labels, annotations, \
                 for, isPaused; other fields keep their values.",
                al::update_alert_rule,
            )
            .destructive(),
            Tool::new("delete_alert_rule", "Delete an alert rule by UID.", al::delete_alert_rule).destructive(),
            Tool::new(
                "list_contact_points",
                "List alerting contact points (name, type, settings with secrets redacted by Grafana); optional \
                 name filter; limit 1-100 (default 20), summary for compact rows.",
                al::list_contact_points,
            )
            .read_only(),
            // Annotations
            Tool::new(
                "get_annotations",
                "Query annotations by dashboard, panel, time window (from/to), tags and type; limit 1-100 \
                 (default 20), summary for compact rows.",
                an::get_annotations,
            )
            .read_only(),
            Tool::new(
                "create_annotation",
                "Create an annotation: text, time (default now), optional timeEnd for a region, dashboardUID, \
                 panelID, tags.",
                an::create_annotation,
            ),
            Tool::new(
                "update_annotation",
                "Replace an annotation's text, time range and tags (fields not given are cleared; see \
                 patch_annotation).",
                an::update_annotation,
            )
            .destructive(),
            Tool::new(
                "patch_annotation",
                "Change only the given fields of an annotation (text, time, timeEnd, tags).",
                an::patch_annotation,
            )
            .destructive(),
            Tool::new("delete_annotation", "Delete an annotation by ID.", an::delete_annotation)
                .destructive()
                .idempotent(),
            Tool::new(
                "get_annotation_tags",
                "Annotation tags with usage counts, optionally by prefix; limit 1-100 (default 20).",
                an::get_annotation_tags,
            )
            .read_only(),
            Tool::new(
                "create_graphite_annotation",
                "Create a Graphite-style annotation (what, data, tags, timestamp in epoch seconds).",
                an::create_graphite_annotation,
            ),
            // Identity and access
            Tool::new(
                "test_connection",
                "Check that Grafana is reachable (version, database health) and that the configured credentials \
                 are accepted.",
                a::test_connection,
            )
            .read_only(),
            Tool::new("current_user", "Profile of the authenticated identity.", a::current_user).read_only(),
            Tool::new(
                "users",
                "Users of the instance, paged (limit 1-100, default 20; page), optional query; summary for \
                 compact rows.",
                a::users,
            )
            .read_only(),
            Tool::new("organization", "The current organization.", a::organization).read_only(),
            Tool::new(
                "list_teams",
                "Teams, paged (limit 1-100, default 20; page), optional name query; summary for compact rows.",
                a::list_teams,
            )
            .read_only(),
            Tool::new(
                "list_all_roles",
                "RBAC roles as compact rows (uid, name, group, permission count); raw for full roles; limit 1-100 \
                 (default 20).",
                a::list_all_roles,
            )
            .read_only(),
            Tool::new("get_role_details", "One RBAC role by UID, with its permissions.", a::get_role_details)
                .read_only(),
            Tool::new(
                "get_role_assignments",
                "Users, teams and service accounts holding an RBAC role.",
                a::get_role_assignments,
            )
            .read_only(),
            Tool::new("list_user_roles", "RBAC roles held by a user (numeric ID).", a::list_user_roles).read_only(),
            Tool::new("list_team_roles", "RBAC roles held by a team (numeric ID).", a::list_team_roles).read_only(),
            Tool::new(
                "get_resource_permissions",
                "Permission entries (user, team or role, and level) on a dashboard, folder, data source, team, \
                 service account or receiver.",
                a::get_resource_permissions,
            )
            .read_only(),
            Tool::new(
                "get_resource_description",
                "Which permission levels and assignee kinds a resource type supports.",
                a::get_resource_description,
            )
            .read_only(),
            // Plugins, links, rendering
            Tool::new(
                "plugins",
                "Installed plugins (full objects), optionally of one type; limit 1-100 (default 20).",
                p::plugins,
            )
            .read_only(),
            Tool::new(
                "plugins_summary",
                "Compact plugin table (id, name, type, enabled, version, signature); limit 1-100 (default 20).",
                p::plugins_summary,
            )
            .read_only(),
            Tool::new("plugin_detail", "Settings of one plugin by ID.", p::plugin_detail).read_only(),
            Tool::new(
                "generate_deeplink",
                "Build a Grafana UI URL for a dashboard, a panel (viewPanel), a folder or an Explore view, with \
                 an optional time range. No request is made.",
                p::generate_deeplink,
            )
            .read_only(),
            Tool::new(
                "generate_logs_drilldown_link",
                "Build a Logs Drilldown (grafana-lokiexplore-app) URL for a Loki data source (by UID or name) and \
                 time range; checks the app is installed.",
                p::generate_logs_drilldown_link,
            )
            .read_only(),
            Tool::new(
                "render_panel_image",
                "Render one dashboard panel to PNG through the image renderer (GET /render/d-solo/{uid}); \
                 returned as an image content block after a JSON summary (type, size, dimensions).",
                p::render_panel_image,
            )
            .read_only(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Grafana);
