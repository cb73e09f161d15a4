//! The stub's in-memory state, seeded with a few objects of each kind.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::time::{iso, now_ms};

/// Saved-object types the stub knows (Kibana answers 400 for others).
pub const TYPES: &[&str] = &[
    "dashboard",
    "visualization",
    "lens",
    "search",
    "index-pattern",
    "map",
    "canvas-workpad",
    "config",
    "tag",
    "query",
];

/// Rule types the stub registers (Kibana docs: "Get the rule types").
pub const RULE_TYPES: &[(&str, &str, &str)] =
    &[(".index-threshold", "Index threshold", "threshold met"), (".es-query", "Elasticsearch query", "query matched")];

/// Connector types the stub registers (Kibana docs: "Get connector types").
pub const CONNECTOR_TYPES: &[(&str, &str)] =
    &[(".server-log", "Server log"), (".webhook", "Webhook"), (".index", "Index")];

#[derive(Default)]
pub struct Store {
    pub spaces: BTreeMap<String, Value>,
    /// space -> (type, id) -> saved object.
    pub objects: BTreeMap<String, BTreeMap<(String, String), Value>>,
    /// space -> id -> rule.
    pub rules: BTreeMap<String, BTreeMap<String, Value>>,
    /// space -> id -> (connector, secrets).
    pub connectors: BTreeMap<String, BTreeMap<String, (Value, Value)>>,
    /// space -> default data view id.
    pub default_view: BTreeMap<String, String>,
    /// Documents of the `logs-app` index.
    pub logs: Vec<Value>,
    counter: u64,
}

impl Store {
    /// A fresh identifier shaped like Kibana's UUIDs.
    pub fn new_id(&mut self) -> String {
        self.counter += 1;
        format!("{:08x}-0000-4000-8000-{:012x}", 0x5eed_0000u32 + self.counter as u32, self.counter)
    }

    /// A fresh saved-object version (opaque to clients).
    pub fn new_version(&mut self) -> String {
        self.counter += 1;
        format!("WzE{}LDFd", self.counter)
    }

    pub fn space_objects(&mut self, space: &str) -> &mut BTreeMap<(String, String), Value> {
        self.objects.entry(space.to_string()).or_default()
    }

    /// Store a saved object, stamping version, namespaces and update time.
    pub fn put_object(&mut self, space: &str, kind: &str, id: &str, attributes: Value, references: Value) -> Value {
        let version = self.new_version();
        let now = iso(now_ms());
        let created_at = self
            .objects
            .get(space)
            .and_then(|m| m.get(&(kind.to_string(), id.to_string())))
            .and_then(|o| o.get("created_at").cloned())
            .unwrap_or_else(|| json!(now));
        let o = json!({
            "id": id, "type": kind, "namespaces": [space], "attributes": attributes, "references": references,
            "version": version, "updated_at": now, "created_at": created_at,
            "coreMigrationVersion": "8.8.0", "managed": false,
        });
        self.space_objects(space).insert((kind.to_string(), id.to_string()), o.clone());
        o
    }

    pub fn seeded() -> Self {
        let mut s = Store::default();
        s.spaces.insert(
            "default".into(),
            json!({ "id": "default", "name": "Default", "description": "This is your default space!",
                    "color": "#00bfb3", "disabledFeatures": [], "_reserved": true }),
        );
        s.spaces.insert(
            "ops".into(),
            json!({ "id": "ops", "name": "Operations", "description": "Operations team space",
                    "color": "#aabbcc", "initials": "OP", "disabledFeatures": ["canvas"] }),
        );
        let search_source = r#"{"query":{"query":"","language":"kuery"},"filter":[]}"#;
        s.put_object(
            "default",
            "index-pattern",
            "logs-dv",
            json!({ "title": "logs-*", "name": "Logs", "timeFieldName": "@timestamp" }),
            json!([]),
        );
        s.put_object(
            "default",
            "index-pattern",
            "metrics-dv",
            json!({ "title": "metrics-*", "timeFieldName": "@timestamp" }),
            json!([]),
        );
        s.put_object(
            "default",
            "visualization",
            "vis-errors",
            json!({ "title": "Errors over time", "description": "Error count per minute",
                    "visState": r#"{"title":"Errors over time","type":"line","params":{},"aggs":[]}"#,
                    "uiStateJSON": "{}", "kibanaSavedObjectMeta": { "searchSourceJSON": search_source } }),
            json!([{ "name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": "logs-dv" }]),
        );
        s.put_object(
            "default",
            "visualization",
            "vis-levels",
            json!({ "title": "Log levels", "description": "",
                    "visState": r#"{"title":"Log levels","type":"pie","params":{},"aggs":[]}"#,
                    "uiStateJSON": "{}", "kibanaSavedObjectMeta": { "searchSourceJSON": search_source } }),
            json!([{ "name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": "logs-dv" }]),
        );
        let panels = json!([
            { "panelIndex": "1", "gridData": { "x": 0, "y": 0, "w": 24, "h": 15, "i": "1" }, "type": "visualization",
              "panelRefName": "panel_1", "embeddableConfig": { "title": "Errors" } },
            { "panelIndex": "2", "gridData": { "x": 24, "y": 0, "w": 24, "h": 15, "i": "2" }, "type": "visualization",
              "panelRefName": "panel_2", "embeddableConfig": {} },
        ]);
        s.put_object(
            "default",
            "dashboard",
            "dash-overview",
            json!({ "title": "Service overview", "description": "Errors and log levels of all services",
                    "panelsJSON": panels.to_string(), "optionsJSON": r#"{"useMargins":true,"hidePanelTitles":false}"#,
                    "timeRestore": true, "timeFrom": "now-24h", "timeTo": "now",
                    "refreshInterval": { "pause": false, "value": 60000 },
                    "kibanaSavedObjectMeta": { "searchSourceJSON": search_source } }),
            json!([{ "name": "panel_1", "type": "visualization", "id": "vis-errors" },
                   { "name": "panel_2", "type": "visualization", "id": "vis-levels" }]),
        );
        for (id, title) in [("dash-api", "API latency"), ("dash-web", "Web traffic")] {
            s.put_object(
                "default",
                "dashboard",
                id,
                json!({ "title": title, "description": "", "panelsJSON": "[]", "timeRestore": false }),
                json!([]),
            );
        }
        s.put_object(
            "default",
            "search",
            "search-errors",
            json!({ "title": "All errors", "columns": ["message"], "sort": [["@timestamp", "desc"]],
                    "kibanaSavedObjectMeta": { "searchSourceJSON": r#"{"query":{"query":"log.level:error","language":"kuery"}}"# } }),
            json!([{ "name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": "logs-dv" }]),
        );
        s.put_object(
            "default",
            "lens",
            "lens-cpu",
            json!({ "title": "CPU by host", "visualizationType": "lnsXY", "state": {} }),
            json!([]),
        );
        s.put_object(
            "default",
            "map",
            "map-geo",
            json!({ "title": "Requests by country", "layerListJSON": "[]" }),
            json!([]),
        );
        s.put_object(
            "default",
            "canvas-workpad",
            "workpad-status",
            json!({ "title": "Status board", "pages": [] }),
            json!([]),
        );
        s.put_object(
            "ops",
            "dashboard",
            "ops-dash",
            json!({ "title": "On-call board", "description": "Ops only", "panelsJSON": "[]" }),
            json!([]),
        );
        s.default_view.insert("default".into(), "logs-dv".into());
        crate::alerting::seed(&mut s);
        crate::logs::seed(&mut s);
        s
    }
}
