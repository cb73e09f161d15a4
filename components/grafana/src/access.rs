//! Identity and access: current user, users, organization, teams, RBAC roles
//! and resource permissions, and the connection check (HTTP API > User API,
//! Organization API, Team API, RBAC API, Resource permissions, Health API).

use crate::client::*;
use k8s_mcp_sdk::prelude::*;

pub fn test_connection(_: DebugOnly, ctx: &Context) -> Result<Output, ToolError> {
    let g = Grafana::new(ctx)?;
    // /api/health needs no credentials; /api/org checks them.
    let health = g.get("/api/health", &[])?;
    let mut out = json!({
        "reachable": true, "url": g.base(), "version": health.get("version"),
        "database": health.get("database"), "commit": health.get("commit"),
    });
    match g.get("/api/org", &[]) {
        Ok(org) => {
            out["authenticated"] = json!(true);
            out["organization"] = pick(&org, &["id", "name"]);
        }
        Err(e @ ToolError::Denied(_)) => {
            out["authenticated"] = json!(false);
            out["authError"] = json!(e.to_string());
        }
        Err(e) => return Err(e),
    }
    Output::json(&out)
}

pub fn current_user(_: DebugOnly, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&Grafana::new(ctx)?.get("/api/user", &[])?)
}

pub fn organization(_: DebugOnly, ctx: &Context) -> Result<Output, ToolError> {
    Output::json(&Grafana::new(ctx)?.get("/api/org", &[])?)
}

#[derive(Deserialize, JsonSchema)]
pub struct PagedArgs {
    /// Only entries whose login, email or name (teams: name) contains this text.
    query: Option<String>,
    /// Page size: 1-100 (default 20).
    limit: Option<Num>,
    /// Page number, from 1 (default 1).
    page: Option<Num>,
    /// Compact rows instead of full objects.
    summary: Option<bool>,
    /// Accepted for compatibility; has no effect.
    #[allow(dead_code)]
    debug: Option<Value>,
}

fn paging(a: &PagedArgs) -> Result<(usize, i64), ToolError> {
    Ok((limit(&a.limit)?, opt_whole("page", &a.page, 1, 1_000_000)?.unwrap_or(1)))
}

pub fn users(a: PagedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (n, page) = paging(&a)?;
    let answer = Grafana::new(ctx)?.get(
        "/api/users/search",
        &[("perpage", Some(n.to_string())), ("page", Some(page.to_string())), ("query", optional(&a.query))],
    )?;
    let total = answer.get("totalCount").and_then(Value::as_u64).map(|t| t as usize);
    let items = as_list(answer.get("users").cloned().unwrap_or(Value::Null), "users")?;
    let items = if a.summary == Some(true) {
        items
            .iter()
            .map(|u| pick(u, &["id", "login", "name", "email", "isAdmin", "isDisabled", "lastSeenAtAge"]))
            .collect()
    } else {
        items
    };
    let mut out = listing("users", items, n, None);
    out["page"] = json!(page);
    if let Some(t) = total {
        out["total"] = json!(t);
        out["truncated"] = json!((page as usize) * n < t);
    }
    Output::json(&out)
}

pub fn list_teams(a: PagedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let (n, page) = paging(&a)?;
    let answer = Grafana::new(ctx)?.get(
        "/api/teams/search",
        &[("perpage", Some(n.to_string())), ("page", Some(page.to_string())), ("query", optional(&a.query))],
    )?;
    let total = answer.get("totalCount").and_then(Value::as_u64).map(|t| t as usize);
    let items = as_list(answer.get("teams").cloned().unwrap_or(Value::Null), "teams")?;
    let items = if a.summary == Some(true) {
        items.iter().map(|t| pick(t, &["id", "uid", "name", "email", "memberCount"])).collect()
    } else {
        items
    };
    let mut out = listing("teams", items, n, None);
    out["page"] = json!(page);
    if let Some(t) = total {
        out["total"] = json!(t);
        out["truncated"] = json!((page as usize) * n < t);
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct RolesArgs {
    /// Most roles: 1-100 (default 20).
    limit: Option<Num>,
    /// Include each role's permissions (off: compact rows).
    raw: Option<bool>,
}

fn role_row(r: &Value) -> Value {
    let mut row = pick(r, &["uid", "name", "displayName", "group", "description", "global"]);
    if let Some(p) = r.get("permissions").and_then(Value::as_array) {
        row["permissions"] = json!(p.len());
    }
    row
}

pub fn list_all_roles(a: RolesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let roles = as_list(Grafana::new(ctx)?.get("/api/access-control/roles", &[])?, "roles")?;
    let total = roles.len();
    let roles = if a.raw == Some(true) { roles } else { roles.iter().map(role_row).collect() };
    Output::json(&listing("roles", roles, n, Some(total)))
}

#[derive(Deserialize, JsonSchema)]
pub struct RoleArgs {
    /// UID of the role.
    #[serde(rename = "roleUID", alias = "roleUid", alias = "uid")]
    role_uid: String,
}

fn role_path(uid: &str) -> Result<String, ToolError> {
    Ok(format!("/api/access-control/roles/{}", segment("roleUID", uid)?))
}

pub fn get_role_details(a: RoleArgs, ctx: &Context) -> Result<Output, ToolError> {
    let out = Grafana::new(ctx)?
        .get(&role_path(&a.role_uid)?, &[])
        .map_err(missing(format!("role `{}`", a.role_uid.trim())))?;
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct AssignmentArgs {
    /// UID of the role.
    #[serde(rename = "roleUID", alias = "roleUid", alias = "uid")]
    role_uid: String,
    /// Most users, teams and service accounts shown (each): 1-100 (default 20).
    limit: Option<Num>,
}

pub fn get_role_assignments(a: AssignmentArgs, ctx: &Context) -> Result<Output, ToolError> {
    let n = limit(&a.limit)?;
    let path = format!("{}/assignments", role_path(&a.role_uid)?);
    let mut out = Grafana::new(ctx)?.get(&path, &[]).map_err(missing(format!("role `{}`", a.role_uid.trim())))?;
    for key in ["users", "teams", "serviceAccounts"] {
        if let Some(list) = out.get_mut(key).and_then(Value::as_array_mut)
            && list.len() > n
        {
            let total = list.len();
            list.truncate(n);
            out[format!("{key}Total")] = json!(total);
            out["truncated"] = json!(true);
        }
    }
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct UserRolesArgs {
    /// Numeric ID of the user.
    #[serde(rename = "userID", alias = "userId")]
    user_id: Num,
    /// Most roles: 1-100 (default 20).
    limit: Option<Num>,
}

pub fn list_user_roles(a: UserRolesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let id = numeric_id("userID", &a.user_id)?;
    let n = limit(&a.limit)?;
    let path = format!("/api/access-control/users/{id}/roles");
    let roles = as_list(Grafana::new(ctx)?.get(&path, &[]).map_err(missing(format!("user {id}")))?, "roles")?;
    let total = roles.len();
    let mut out = listing("roles", roles.iter().map(role_row).collect(), n, Some(total));
    out["userID"] = json!(id);
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct TeamRolesArgs {
    /// Numeric ID of the team.
    #[serde(rename = "teamID", alias = "teamId")]
    team_id: Num,
    /// Most roles: 1-100 (default 20).
    limit: Option<Num>,
}

pub fn list_team_roles(a: TeamRolesArgs, ctx: &Context) -> Result<Output, ToolError> {
    let id = numeric_id("teamID", &a.team_id)?;
    let n = limit(&a.limit)?;
    let path = format!("/api/access-control/teams/{id}/roles");
    let roles = as_list(Grafana::new(ctx)?.get(&path, &[]).map_err(missing(format!("team {id}")))?, "roles")?;
    let total = roles.len();
    let mut out = listing("roles", roles.iter().map(role_row).collect(), n, Some(total));
    out["teamID"] = json!(id);
    Output::json(&out)
}

/// The API's plural resource names; singular forms are accepted too.
fn resource(kind: &str) -> Result<&'static str, ToolError> {
    Ok(match required("resourceType", kind)?.to_ascii_lowercase().as_str() {
        "dashboard" | "dashboards" => "dashboards",
        "folder" | "folders" => "folders",
        "datasource" | "datasources" => "datasources",
        "team" | "teams" => "teams",
        "serviceaccount" | "serviceaccounts" => "serviceaccounts",
        "receiver" | "receivers" => "receivers",
        other => {
            return Err(ToolError::invalid(format!(
                "`resourceType` must be dashboards, folders, datasources, teams, serviceaccounts or receivers, got `{other}`"
            )));
        }
    })
}

#[derive(Deserialize, JsonSchema)]
pub struct PermissionArgs {
    /// dashboards, folders, datasources, teams, serviceaccounts or receivers.
    #[serde(rename = "resourceType")]
    resource_type: String,
    /// UID (or numeric ID for teams and service accounts) of the resource.
    #[serde(rename = "resourceUID", alias = "resourceUid")]
    resource_uid: Option<String>,
    /// Most entries: 1-100 (default 20).
    limit: Option<Num>,
}

pub fn get_resource_permissions(a: PermissionArgs, ctx: &Context) -> Result<Output, ToolError> {
    let kind = resource(&a.resource_type)?;
    let n = limit(&a.limit)?;
    let uid = a.resource_uid.as_deref().unwrap_or("");
    let path = format!("/api/access-control/{kind}/{}", segment("resourceUID", uid)?);
    let what = format!("{kind} `{}`", uid.trim());
    let entries = as_list(Grafana::new(ctx)?.get(&path, &[]).map_err(missing(what))?, "permissions")?;
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            pick(e, &["permission", "userId", "userLogin", "teamId", "team", "builtInRole", "isManaged", "isInherited"])
        })
        .collect();
    let total = rows.len();
    let mut out = listing("permissions", rows, n, Some(total));
    out["resourceType"] = json!(kind);
    out["resourceUID"] = json!(uid.trim());
    Output::json(&out)
}

#[derive(Deserialize, JsonSchema)]
pub struct DescriptionArgs {
    /// dashboards, folders, datasources, teams, serviceaccounts or receivers.
    #[serde(rename = "resourceType")]
    resource_type: String,
}

pub fn get_resource_description(a: DescriptionArgs, ctx: &Context) -> Result<Output, ToolError> {
    let kind = resource(&a.resource_type)?;
    Output::json(&Grafana::new(ctx)?.get(&format!("/api/access-control/{kind}/description"), &[])?)
}
