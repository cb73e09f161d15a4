//! The stub's in-memory Grafana: dashboards with version history, folders,
//! data sources, alert rules and groups, contact points, annotations, and
//! fixed users, teams, roles, organizations and plugins.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::util::{now, now_ms, slug};

pub type Shared = Arc<Mutex<Db>>;

/// One saved version of a dashboard.
pub struct Version {
    pub version: i64,
    pub parent: i64,
    pub restored_from: i64,
    pub created: String,
    pub created_by: String,
    pub message: String,
    pub data: Value,
}

pub struct Dashboard {
    pub id: i64,
    pub folder_uid: String,
    pub created: String,
    pub updated: String,
    /// Oldest first; the last one is the current model.
    pub versions: Vec<Version>,
}

impl Dashboard {
    pub fn model(&self) -> &Value {
        &self.versions.last().expect("a dashboard has a version").data
    }
    pub fn version(&self) -> i64 {
        self.versions.last().map_or(0, |v| v.version)
    }
    pub fn title(&self) -> &str {
        self.model()["title"].as_str().unwrap_or("")
    }
}

#[derive(Default)]
pub struct Db {
    pub next_id: i64,
    pub dashboards: BTreeMap<String, Dashboard>,
    pub starred: Vec<String>,
    pub folders: BTreeMap<String, Value>,
    /// Data sources as Grafana returns them, plus the secure fields set.
    pub datasources: Vec<(Value, Vec<String>)>,
    pub rules: BTreeMap<String, Value>,
    /// (folder UID, group title) -> evaluation interval in seconds.
    pub groups: BTreeMap<(String, String), i64>,
    pub contact_points: Vec<Value>,
    pub annotations: BTreeMap<i64, Value>,
    pub plugins: Vec<Value>,
    pub users: Vec<Value>,
    pub teams: Vec<Value>,
    pub roles: Vec<Value>,
    pub orgs: Vec<Value>,
}

impl Db {
    pub fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn folder_title(&self, uid: &str) -> Option<String> {
        self.folders.get(uid).and_then(|f| f["title"].as_str()).map(str::to_string)
    }

    /// Store a new version of a dashboard (creating it when new).
    pub fn save_dashboard(&mut self, mut model: Value, folder_uid: &str, message: &str, restored_from: i64) -> String {
        let uid = model["uid"].as_str().unwrap_or_default().to_string();
        let id = match self.dashboards.get(&uid) {
            Some(d) => d.id,
            None => self.id(),
        };
        let parent = self.dashboards.get(&uid).map_or(0, Dashboard::version);
        model["id"] = json!(id);
        model["version"] = json!(parent + 1);
        let version = Version {
            version: parent + 1,
            parent,
            restored_from,
            created: now(),
            created_by: "admin".into(),
            message: message.to_string(),
            data: model,
        };
        let entry = self.dashboards.entry(uid.clone()).or_insert_with(|| Dashboard {
            id,
            folder_uid: folder_uid.to_string(),
            created: now(),
            updated: now(),
            versions: Vec::new(),
        });
        entry.folder_uid = folder_uid.to_string();
        entry.updated = now();
        entry.versions.push(version);
        uid
    }

    pub fn seed() -> Self {
        let mut db = Db::default();
        for (uid, title) in [("ops-folder", "Operations"), ("team-a", "Team A")] {
            let id = db.id();
            db.folders.insert(
                uid.into(),
                json!({ "id": id, "uid": uid, "title": title, "url": format!("/dashboards/f/{uid}/{}", slug(title)),
                        "hasAcl": false, "canSave": true, "canEdit": true, "canAdmin": true, "canDelete": true,
                        "createdBy": "admin", "created": now(), "updatedBy": "admin", "updated": now(), "version": 1 }),
            );
        }
        let node = json!({
            "uid": "node-exporter", "title": "Node Exporter", "tags": ["linux", "infra"], "timezone": "browser",
            "schemaVersion": 39, "refresh": "30s", "time": { "from": "now-6h", "to": "now" },
            "templating": { "list": [{ "name": "instance", "type": "query", "query": "label_values(up, instance)" }] },
            "panels": [
                { "id": 1, "title": "CPU busy", "type": "timeseries", "datasource": { "type": "prometheus", "uid": "prom-main" },
                  "targets": [{ "refId": "A", "expr": "1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))",
                                "datasource": { "type": "prometheus", "uid": "prom-main" } }] },
                { "id": 2, "title": "Details", "type": "row", "collapsed": true, "panels": [
                    { "id": 3, "title": "Memory used", "type": "stat", "datasource": { "type": "prometheus", "uid": "prom-main" },
                      "targets": [{ "refId": "A", "expr": "node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes" },
                                  { "refId": "B", "expr": "node_memory_MemTotal_bytes" }] }
                ]},
                { "id": 4, "title": "Logs", "type": "logs", "datasource": { "type": "loki", "uid": "loki-main" },
                  "targets": [{ "refId": "A", "expr": "{job=\"node\"}" }] }
            ]
        });
        db.save_dashboard(node, "ops-folder", "initial", 0);
        db.save_dashboard(
            json!({ "uid": "k8s-cluster", "title": "Kubernetes Cluster", "tags": ["k8s", "infra"], "panels": [] }),
            "",
            "",
            0,
        );
        for i in 1..=23 {
            let model = json!({ "uid": format!("gen-{i:02}"), "title": format!("Generated {i:02}"), "tags": ["generated"], "panels": [] });
            db.save_dashboard(model, if i % 2 == 0 { "team-a" } else { "" }, "", 0);
        }
        db.starred.push("node-exporter".into());
        let ds = |id: i64, uid: &str, name: &str, kind: &str, url: &str, default: bool| {
            json!({ "id": id, "uid": uid, "orgId": 1, "name": name, "type": kind, "typeName": kind,
                    "typeLogoUrl": format!("public/app/plugins/datasource/{kind}/img/logo.svg"),
                    "access": "proxy", "url": url, "user": "", "database": "", "basicAuth": false,
                    "basicAuthUser": "", "withCredentials": false, "isDefault": default, "jsonData": {},
                    "version": 1, "readOnly": false })
        };
        let (a, b, c) = (db.id(), db.id(), db.id());
        db.datasources.push((ds(a, "prom-main", "Prometheus", "prometheus", "http://prometheus:9090", true), vec![]));
        // Grafana before 8 answered stored passwords in plain text (HTTP API >
        // Data source API, v7 docs); this one keeps such legacy fields.
        let mut loki = ds(b, "loki-main", "Loki", "loki", "http://loki:3100", false);
        loki["password"] = json!("stub-legacy-password");
        loki["basicAuthPassword"] = json!("stub-legacy-password");
        db.datasources.push((loki, vec![]));
        db.datasources.push((ds(c, "testdata", "TestData", "grafana-testdata-datasource", "", false), vec![]));
        let plugin = |id: &str, name: &str, kind: &str| {
            json!({ "id": id, "name": name, "type": kind, "enabled": true, "pinned": false, "signature": "internal",
                    "info": { "author": { "name": "Grafana Labs" }, "description": name, "version": "11.3.0",
                              "updated": "2024-10-22" },
                    "defaultNavUrl": format!("/plugins/{id}/"), "module": format!("core:plugin/{id}"),
                    "baseUrl": format!("public/plugins/{id}"), "jsonData": {}, "state": "", "latestVersion": "",
                    "hasUpdate": false })
        };
        db.plugins = vec![
            plugin("prometheus", "Prometheus", "datasource"),
            plugin("loki", "Loki", "datasource"),
            plugin("timeseries", "Time series", "panel"),
            plugin("grafana-lokiexplore-app", "Logs Drilldown", "app"),
        ];
        db.plugins[3]["signature"] = json!("valid");
        db.plugins[3]["info"]["version"] = json!("1.0.4");
        let user = |id: i64, login: &str, name: &str, admin: bool| {
            json!({ "id": id, "uid": format!("u{id}"), "login": login, "name": name, "email": format!("{login}@example.com"),
                    "avatarUrl": "/avatar/0", "isAdmin": admin, "isDisabled": false, "lastSeenAt": now(),
                    "lastSeenAtAge": "1m", "authLabels": [] })
        };
        db.users = vec![
            user(1, "admin", "Administrator", true),
            user(2, "viewer", "Vera Viewer", false),
            user(3, "editor", "Ed Editor", false),
        ];
        db.teams = vec![
            json!({ "id": 1, "uid": "team-sre", "orgId": 1, "name": "SRE", "email": "sre@example.com", "avatarUrl": "/avatar/1", "memberCount": 2, "permission": 0 }),
            json!({ "id": 2, "uid": "team-dev", "orgId": 1, "name": "Developers", "email": "dev@example.com", "avatarUrl": "/avatar/2", "memberCount": 1, "permission": 0 }),
        ];
        let role = |uid: &str, name: &str, group: &str, actions: &[&str]| {
            let perms: Vec<Value> = actions.iter().map(|a| json!({ "action": a, "scope": "dashboards:*" })).collect();
            json!({ "version": 1, "uid": uid, "name": name, "displayName": name, "description": format!("{name} role"),
                    "group": group, "global": true, "hidden": false, "permissions": perms,
                    "updated": now(), "created": now() })
        };
        db.roles = vec![
            role("fixed_dashboards_reader", "fixed:dashboards:reader", "Dashboards", &["dashboards:read"]),
            role(
                "fixed_dashboards_writer",
                "fixed:dashboards:writer",
                "Dashboards",
                &["dashboards:read", "dashboards:write", "dashboards:delete"],
            ),
            role("custom_oncall", "custom:oncall", "Custom", &["alert.rules:read", "alert.silences:create"]),
        ];
        db.orgs = vec![
            json!({ "id": 1, "name": "Main Org.", "address": { "address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": "" } }),
            json!({ "id": 2, "name": "Second Org", "address": { "address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": "" } }),
        ];
        db.contact_points = vec![
            json!({ "uid": "cp-email", "name": "ops-email", "type": "email", "disableResolveMessage": false,
                    "settings": { "addresses": "ops@example.com", "singleEmail": false } }),
            json!({ "uid": "cp-slack", "name": "ops-slack", "type": "slack", "disableResolveMessage": false,
                    "settings": { "recipient": "#ops", "url": "[REDACTED]" } }),
        ];
        db.groups.insert(("ops-folder".into(), "infra".into()), 60);
        db.rules.insert(
            "rule-high-cpu".into(),
            json!({ "id": 1, "uid": "rule-high-cpu", "orgID": 1, "folderUID": "ops-folder", "ruleGroup": "infra",
                    "title": "High CPU", "condition": "B", "for": "5m", "noDataState": "NoData", "execErrState": "Error",
                    "annotations": { "summary": "CPU above 90%" }, "labels": { "severity": "critical" },
                    "isPaused": false, "updated": now(), "provenance": "",
                    "data": [
                        { "refId": "A", "queryType": "", "relativeTimeRange": { "from": 600, "to": 0 }, "datasourceUid": "prom-main",
                          "model": { "refId": "A", "expr": "avg(rate(node_cpu_seconds_total[5m]))" } },
                        { "refId": "B", "queryType": "", "relativeTimeRange": { "from": 0, "to": 0 }, "datasourceUid": "__expr__",
                          "model": { "refId": "B", "type": "threshold", "expression": "A", "conditions": [{ "evaluator": { "type": "gt", "params": [0.9] } }] } }
                    ] }),
        );
        let mut file_rule = db.rules["rule-high-cpu"].clone();
        for (k, v) in [
            ("id", json!(2)),
            ("uid", json!("rule-from-file")),
            ("title", json!("Disk full")),
            ("provenance", json!("file")),
        ] {
            file_rule[k] = v;
        }
        db.rules.insert("rule-from-file".into(), file_rule);
        for (text, tags) in [("deploy v1.2.3", vec!["deploy", "backend"]), ("incident start", vec!["incident"])] {
            let id = db.id();
            let t = now_ms() - 30 * 60_000;
            db.annotations.insert(
                id,
                json!({ "id": id, "alertId": 0, "alertName": "", "dashboardId": 0, "dashboardUID": "", "panelId": 0,
                        "userId": 1, "newState": "", "prevState": "", "created": t, "updated": t, "time": t,
                        "timeEnd": t, "text": text, "tags": tags, "login": "admin", "email": "admin@example.com",
                        "avatarUrl": "/avatar/0", "data": {} }),
            );
        }
        db
    }
}
