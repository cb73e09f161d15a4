//! Health, plugins, users, organizations, teams, RBAC roles and resource
//! permissions.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::Caller;
use crate::state::Shared;
use crate::util::*;

/// HTTP API > Other HTTP API > Health API (no authentication).
pub async fn health() -> Response {
    ok(json!({ "commit": "0123456789", "database": "ok", "version": "11.3.0" }))
}

/// HTTP API > Plugin API (list installed plugins, `type` filter).
pub async fn plugins(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let kind = first(&q, "type");
    ok(Value::Array(db.plugins.iter().filter(|p| kind.is_none_or(|k| p["type"] == json!(k))).cloned().collect()))
}

/// HTTP API > Plugin API > Get plugin settings.
pub async fn plugin_settings(State(db): State<Shared>, Path(id): Path<String>) -> Response {
    let db = db.lock().expect("state");
    match db.plugins.iter().find(|p| p["id"] == json!(id)) {
        Some(p) => ok(p.clone()),
        None => err(404, "Plugin not found, no installed plugin with that id"),
    }
}

/// HTTP API > User API > Actual User (`GET /api/user`): the caller.
pub async fn user(Extension(caller): Extension<Caller>) -> Response {
    let service_account = caller.login != "admin";
    ok(json!({
        "id": if service_account { 10 } else { 1 }, "uid": if service_account { "sa-mcp" } else { "u1" },
        "email": format!("{}@example.com", caller.login), "name": caller.login, "login": caller.login,
        "theme": "", "orgId": caller.org, "isGrafanaAdmin": !service_account, "isDisabled": false,
        "isExternal": false, "authLabels": [], "updatedAt": now(), "createdAt": now(), "avatarUrl": "/avatar/0",
        "isServiceAccount": service_account,
    }))
}

fn page(q: &Pairs, total: usize) -> (usize, usize) {
    let per = num(q, "perpage").unwrap_or(1000).clamp(1, 5000) as usize;
    let page = num(q, "page").unwrap_or(1).max(1) as usize;
    (((page - 1) * per).min(total), per)
}

fn matching_users(db: &crate::state::Db, q: &Pairs) -> Vec<Value> {
    let text = first(q, "query").map(str::to_lowercase);
    db.users
        .iter()
        .filter(|u| {
            text.as_ref().is_none_or(|t| {
                ["login", "email", "name"].iter().any(|k| u[*k].as_str().unwrap_or("").to_lowercase().contains(t))
            })
        })
        .cloned()
        .collect()
}

/// HTTP API > User API > Search Users (`GET /api/users?perpage&page`).
pub async fn users(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let users = matching_users(&db, &q);
    let (skip, per) = page(&q, users.len());
    ok(Value::Array(users.into_iter().skip(skip).take(per).collect()))
}

/// HTTP API > User API > Search Users with Paging (`GET /api/users/search`).
pub async fn users_search(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let users = matching_users(&db, &q);
    let total = users.len();
    let (skip, per) = page(&q, total);
    let rows: Vec<Value> = users.into_iter().skip(skip).take(per).collect();
    ok(json!({ "totalCount": total, "users": rows, "page": num(&q, "page").unwrap_or(1), "perPage": per }))
}

/// HTTP API > Organization API > Get current Organization (per `X-Grafana-Org-Id`).
pub async fn org(State(db): State<Shared>, Extension(caller): Extension<Caller>) -> Response {
    let db = db.lock().expect("state");
    match db.orgs.iter().find(|o| o["id"] == json!(caller.org)) {
        Some(o) => ok(o.clone()),
        None => err(404, "Organization not found"),
    }
}

/// HTTP API > Team API > Team Search With Paging.
pub async fn teams(State(db): State<Shared>, Query(q): Query<Pairs>) -> Response {
    let db = db.lock().expect("state");
    let text = first(&q, "query").map(str::to_lowercase);
    let teams: Vec<Value> = db
        .teams
        .iter()
        .filter(|t| text.as_ref().is_none_or(|x| t["name"].as_str().unwrap_or("").to_lowercase().contains(x)))
        .cloned()
        .collect();
    let total = teams.len();
    let (skip, per) = page(&q, total);
    let rows: Vec<Value> = teams.into_iter().skip(skip).take(per).collect();
    ok(json!({ "totalCount": total, "teams": rows, "page": num(&q, "page").unwrap_or(1), "perPage": per }))
}

fn without_permissions(r: &Value) -> Value {
    let mut r = r.clone();
    if let Some(o) = r.as_object_mut() {
        o.remove("permissions");
    }
    r
}

/// HTTP API > RBAC API > List roles.
pub async fn roles(State(db): State<Shared>) -> Response {
    let db = db.lock().expect("state");
    ok(Value::Array(db.roles.iter().map(without_permissions).collect()))
}

/// HTTP API > RBAC API > Get a role.
pub async fn role(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    match db.roles.iter().find(|r| r["uid"] == json!(uid)) {
        Some(r) => ok(r.clone()),
        None => err(404, "Role not found"),
    }
}

/// HTTP API > RBAC API > Get role assignments.
pub async fn assignments(State(db): State<Shared>, Path(uid): Path<String>) -> Response {
    let db = db.lock().expect("state");
    if !db.roles.iter().any(|r| r["uid"] == json!(uid)) {
        return err(404, "Role not found");
    }
    let (users, teams) = match uid.as_str() {
        "fixed_dashboards_reader" => {
            (json!([{ "userId": 2, "login": "viewer", "global": false }]), json!([{ "teamId": 2 }]))
        }
        "custom_oncall" => (json!([]), json!([{ "teamId": 1 }])),
        _ => (json!([]), json!([])),
    };
    ok(json!({ "roleUID": uid, "users": users, "teams": teams, "serviceAccounts": [] }))
}

/// The numeric `id` of a path, if one of `members` (users, teams) has it.
fn member_id(members: &[Value], id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|id| members.iter().any(|m| m["id"] == json!(id)))
}

/// The roles (with their permissions) whose UID is `uid`.
fn roles_with_uid(db: &crate::state::Db, uid: &str) -> Response {
    ok(Value::Array(db.roles.iter().filter(|r| r["uid"] == json!(uid)).cloned().collect()))
}

/// HTTP API > RBAC API > List roles assigned to a user.
pub async fn user_roles(State(db): State<Shared>, Path(id): Path<String>) -> Response {
    let db = db.lock().expect("state");
    let Some(id) = member_id(&db.users, &id) else { return err(404, "user not found") };
    roles_with_uid(&db, if id == 2 { "fixed_dashboards_reader" } else { "fixed_dashboards_writer" })
}

/// HTTP API > RBAC API > List roles assigned to a team.
pub async fn team_roles(State(db): State<Shared>, Path(id): Path<String>) -> Response {
    let db = db.lock().expect("state");
    let Some(id) = member_id(&db.teams, &id) else { return err(404, "team not found") };
    roles_with_uid(&db, if id == 1 { "custom_oncall" } else { "fixed_dashboards_reader" })
}

/// HTTP API > Access control > Resource permissions > Get a description of
/// a resource's access control properties.
pub async fn description(Path(resource): Path<String>) -> Response {
    let levels = match resource.as_str() {
        "dashboards" | "folders" => json!(["View", "Edit", "Admin"]),
        "datasources" => json!(["Query", "Edit", "Admin"]),
        "teams" => json!(["Member", "Admin"]),
        "serviceaccounts" => json!(["Edit", "Admin"]),
        "receivers" => json!(["View", "Edit", "Admin"]),
        _ => return err(404, "Not found"),
    };
    ok(json!({ "assignments": { "users": true, "serviceAccounts": true, "teams": true, "builtInRoles": true },
               "permissions": levels }))
}

/// HTTP API > Access control > Resource permissions > Get permissions for a resource.
pub async fn permissions(State(db): State<Shared>, Path((resource, uid)): Path<(String, String)>) -> Response {
    let db = db.lock().expect("state");
    let exists = match resource.as_str() {
        "dashboards" => db.dashboards.contains_key(&uid),
        "folders" => db.folders.contains_key(&uid),
        "datasources" => db.datasources.iter().any(|(d, _)| d["uid"] == json!(uid)),
        "teams" => db.teams.iter().any(|t| t["id"].as_i64().is_some_and(|id| id.to_string() == uid)),
        _ => return err(404, "Not found"),
    };
    if !exists {
        return err(404, "resource not found");
    }
    let entry = |id: i64, perm: &str, extra: Value| {
        let mut e = json!({ "id": id, "roleName": format!("managed:{perm}"), "isManaged": true, "isInherited": false,
                             "isServiceAccount": false, "actions": [format!("{resource}:read")], "permission": perm });
        for (k, v) in extra.as_object().into_iter().flatten() {
            e[k] = v.clone();
        }
        e
    };
    ok(json!([
        entry(1, "Admin", json!({ "userId": 1, "userLogin": "admin", "userAvatarUrl": "/avatar/0" })),
        entry(2, "Edit", json!({ "teamId": 1, "team": "SRE" })),
        entry(3, "View", json!({ "builtInRole": "Viewer" })),
    ]))
}
