//! Silence tools: list, summarise, page, create (validated) and expire.

use crate::common::{
    check_paging, count_by, human, into_list, non_blank, page_size, paginate, parse_time, rfc3339, split_matchers,
    time_of, truncate,
};
use chrono::Utc;
use k8s_mcp_sdk::backend::{Backend, encode};
use k8s_mcp_sdk::prelude::*;

const STATES: [&str; 3] = ["active", "pending", "expired"];

fn silence_state(s: &Value) -> &str {
    s.pointer("/status/state").and_then(Value::as_str).unwrap_or("unknown")
}

fn fetch_silences(backend: &Backend) -> Result<Vec<Value>, ToolError> {
    into_list(backend.get_json("/api/v2/silences", &[])?, "silences")
}

/// `status` argument: one of the v2 silence states.
fn parse_status(value: Option<String>) -> Result<Option<String>, ToolError> {
    match non_blank(value).map(|s| s.to_ascii_lowercase()) {
        None => Ok(None),
        Some(s) if STATES.contains(&s.as_str()) => Ok(Some(s)),
        Some(s) => Err(ToolError::invalid(format!("`status` must be active, pending or expired; got `{s}`"))),
    }
}

/// A v2 matcher object as `name="value"`, `name=~"re"`, `name!="v"` or `name!~"re"`.
fn matcher_text(m: &Value) -> String {
    let name = m.get("name").and_then(Value::as_str).unwrap_or("?");
    let value = m.get("value").and_then(Value::as_str).unwrap_or("");
    let regex = m.get("isRegex").and_then(Value::as_bool).unwrap_or(false);
    let equal = m.get("isEqual").and_then(Value::as_bool).unwrap_or(true);
    let op = match (equal, regex) {
        (true, false) => "=",
        (true, true) => "=~",
        (false, false) => "!=",
        (false, true) => "!~",
    };
    format!("{name}{op}{}", serde_json::Value::String(value.to_string()))
}

fn matcher_texts(s: &Value) -> Vec<String> {
    s.get("matchers").and_then(Value::as_array).map(|m| m.iter().map(matcher_text).collect()).unwrap_or_default()
}

/// One line's worth of a silence, with its length and, while it runs, the time left.
fn compact(s: &Value) -> Value {
    let (starts, ends) = (time_of(s, "startsAt"), time_of(s, "endsAt"));
    let mut out = json!({
        "id": s.get("id"),
        "state": silence_state(s),
        "matchers": matcher_texts(s),
        "startsAt": s.get("startsAt"),
        "endsAt": s.get("endsAt"),
        "createdBy": s.get("createdBy"),
        "comment": s.get("comment"),
    });
    if let (Some(a), Some(b)) = (starts, ends) {
        out["duration"] = json!(human(b - a));
    }
    if let (Some(b), "active" | "pending") = (ends, silence_state(s)) {
        out["endsIn"] = json!(human(b - Utc::now()));
    }
    out
}

/// Active first, then pending, then expired; newest first within each.
fn sort_silences(silences: &mut [Value]) {
    let rank = |s: &Value| STATES.iter().position(|x| *x == silence_state(s)).unwrap_or(STATES.len());
    silences.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| time_of(b, "startsAt").cmp(&time_of(a, "startsAt"))));
}

fn state_counts(silences: &[Value]) -> Value {
    json!(count_by(silences.iter().map(silence_state)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

pub fn get_silences(_: NoArgs, ctx: &Context) -> Result<Output, ToolError> {
    let silences = fetch_silences(&crate::backend(ctx)?)?;
    Output::json(&json!({ "count": silences.len(), "byState": state_counts(&silences), "silences": silences }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SilencesSummaryArgs {
    /// Only silences in this state: active, pending or expired.
    status: Option<String>,
    /// Most silences to list (1-100, default 20); counts cover all silences.
    #[schemars(with = "Option<u32>", range(min = 1, max = 100))]
    limit: Option<f64>,
}

pub fn silences_summary(args: SilencesSummaryArgs, ctx: &Context) -> Result<Output, ToolError> {
    let status = parse_status(args.status)?;
    let limit = page_size("limit", args.limit)?;
    let all = fetch_silences(&crate::backend(ctx)?)?;
    let counts = state_counts(&all);
    let mut silences: Vec<Value> =
        all.into_iter().filter(|s| status.as_deref().is_none_or(|want| silence_state(s) == want)).collect();
    let total = silences.len();
    sort_silences(&mut silences);
    let truncated = truncate(&mut silences, limit);
    let list: Vec<Value> = silences.iter().map(compact).collect();
    Output::json(&json!({
        "total": total,
        "returned": list.len(),
        "limit": limit,
        "truncated": truncated,
        "byState": counts,
        "silences": list,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SilencesPaginatedArgs {
    /// Page number, from 1.
    #[schemars(with = "Option<u32>", range(min = 1))]
    page: Option<f64>,
    /// Silences per page (1-100, default 20).
    #[serde(alias = "perPage")]
    #[schemars(with = "Option<u32>", range(min = 1, max = 100))]
    per_page: Option<f64>,
    /// Only silences in this state: active, pending or expired.
    status: Option<String>,
    /// Only silences created by this author (case-insensitive).
    #[serde(alias = "createdBy")]
    created_by: Option<String>,
    /// Only silences whose comment contains this text (case-insensitive).
    #[serde(alias = "commentFilter")]
    comment_filter: Option<String>,
}

pub fn silences_paginated(args: SilencesPaginatedArgs, ctx: &Context) -> Result<Output, ToolError> {
    let status = parse_status(args.status)?;
    check_paging(args.page, args.per_page)?;
    let creator = non_blank(args.created_by).map(|c| c.to_lowercase());
    let comment = non_blank(args.comment_filter).map(|c| c.to_lowercase());
    let field = |s: &Value, k: &str| s.get(k).and_then(Value::as_str).unwrap_or("").to_lowercase();
    let mut silences: Vec<Value> = fetch_silences(&crate::backend(ctx)?)?
        .into_iter()
        .filter(|s| {
            status.as_deref().is_none_or(|want| silence_state(s) == want)
                && creator.as_deref().is_none_or(|want| field(s, "createdBy") == want)
                && comment.as_deref().is_none_or(|want| field(s, "comment").contains(want))
        })
        .collect();
    let counts = state_counts(&silences);
    sort_silences(&mut silences);
    let (page, pagination) = paginate(silences, args.page, args.per_page)?;
    let list: Vec<Value> = page.iter().map(compact).collect();
    Output::json(&json!({
        "count": list.len(),
        "byState": counts,
        "pagination": pagination,
        "silences": list,
    }))
}

/// A matcher as given: an object, or text such as `alertname="X"`.
#[derive(JsonSchema)]
#[allow(dead_code)] // schema only; values are read by `parse_matcher`
#[serde(untagged)]
enum MatcherArg {
    /// `name="value"`, `name=~"regex"`, `name!="value"` or `name!~"regex"`.
    Text(String),
    Object {
        /// Label name.
        name: String,
        /// Label value, or a regex when isRegex.
        value: String,
        /// Treat value as a regular expression (default false).
        #[serde(rename = "isRegex")]
        is_regex: Option<bool>,
        /// false negates the match (default true).
        #[serde(rename = "isEqual")]
        is_equal: Option<bool>,
    },
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSilenceArgs {
    /// Which alerts to silence; at least one. Objects `{name, value, isRegex?, isEqual?}` or strings
    /// such as `alertname="X"`, `instance=~"db-.*"`, `env!="dev"`.
    #[schemars(with = "Vec<MatcherArg>")]
    matchers: Value,
    /// Start (RFC 3339, `now` or a duration from now such as `1h`); default now.
    #[serde(rename = "startsAt", alias = "starts_at")]
    starts_at: Option<String>,
    /// End: RFC 3339, or a duration after startsAt such as `2h` or `1h30m`.
    #[serde(rename = "endsAt", alias = "ends_at")]
    ends_at: String,
    /// Why the alerts are silenced.
    comment: String,
    /// Who creates the silence.
    #[serde(rename = "createdBy", alias = "created_by")]
    created_by: String,
}

pub fn create_silence(args: CreateSilenceArgs, ctx: &Context) -> Result<Output, ToolError> {
    let matchers = parse_matchers(&args.matchers)?;
    let now = Utc::now();
    let starts = match non_blank(args.starts_at) {
        Some(s) => parse_time("startsAt", &s, now)?,
        None => now,
    };
    let ends = parse_time("endsAt", &args.ends_at, starts)?;
    if ends <= starts {
        return Err(ToolError::invalid(format!(
            "`endsAt` ({}) must be after `startsAt` ({})",
            rfc3339(ends),
            rfc3339(starts)
        )));
    }
    if ends <= now {
        return Err(ToolError::invalid(format!("`endsAt` ({}) is in the past", rfc3339(ends))));
    }
    let comment = args.comment.trim();
    if comment.is_empty() {
        return Err(ToolError::invalid("`comment` must not be empty: say why the alerts are silenced"));
    }
    let created_by = args.created_by.trim();
    if created_by.is_empty() {
        return Err(ToolError::invalid("`createdBy` must not be empty: say who creates the silence"));
    }
    let body = json!({
        "matchers": matchers,
        "startsAt": rfc3339(starts),
        "endsAt": rfc3339(ends),
        "comment": comment,
        "createdBy": created_by,
    });
    let backend = crate::backend(ctx)?;
    let answer = backend.send_json(backend.request("POST", "/api/v2/silences", &[]).json_body(&body)?)?;
    let id = answer.get("silenceID").and_then(Value::as_str).ok_or_else(|| {
        ToolError::upstream(format!("alertmanager accepted the silence but returned no silenceID: {answer}"))
    })?;
    let texts = matcher_texts(&body);
    // How many alerts the silence covers right now; informative only, so a failure is left out.
    let query: Vec<(&str, Option<String>)> = texts.iter().map(|m| ("filter", Some(m.clone()))).collect();
    let matching = backend.get_json("/api/v2/alerts", &query).ok().and_then(|v| v.as_array().map(Vec::len));
    Output::json(&json!({
        "silenceId": id,
        "matchers": texts,
        "startsAt": rfc3339(starts),
        "endsAt": rfc3339(ends),
        "duration": human(ends - starts),
        "comment": comment,
        "createdBy": created_by,
        "matchingAlerts": matching,
    }))
}

fn parse_matchers(value: &Value) -> Result<Vec<Value>, ToolError> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        // A single string may hold several comma-separated matchers.
        Value::String(s) => split_matchers(s).into_iter().map(Value::String).collect(),
        Value::Object(_) => vec![value.clone()],
        _ => return Err(ToolError::invalid("`matchers` must be a list of matchers")),
    };
    if items.is_empty() {
        return Err(ToolError::invalid(
            "`matchers` needs at least one matcher, e.g. [{\"name\": \"alertname\", \"value\": \"X\"}] or [\"alertname=\\\"X\\\"\"]",
        ));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => {
                for part in split_matchers(s) {
                    out.push(parse_matcher_text(&part).map_err(|e| ToolError::invalid(format!("matchers[{i}]: {e}")))?);
                }
            }
            Value::Object(map) => {
                out.push(matcher_object(map).map_err(|e| ToolError::invalid(format!("matchers[{i}]: {e}")))?)
            }
            other => {
                return Err(ToolError::invalid(format!("matchers[{i}] must be an object or a string, got {other}")));
            }
        }
    }
    if out.is_empty() {
        return Err(ToolError::invalid("`matchers` needs at least one non-empty matcher"));
    }
    Ok(out)
}

fn matcher_object(map: &serde_json::Map<String, Value>) -> Result<Value, String> {
    let mut name = None;
    let mut value = None;
    let (mut is_regex, mut is_equal) = (false, true);
    for (k, v) in map {
        let want_bool = || v.as_bool().ok_or_else(|| format!("`{k}` must be true or false"));
        match k.as_str() {
            "name" => name = Some(v.as_str().ok_or("`name` must be a string")?.trim().to_string()),
            "value" => value = Some(v.as_str().ok_or("`value` must be a string")?.to_string()),
            "isRegex" | "is_regex" => is_regex = want_bool()?,
            "isEqual" | "is_equal" => is_equal = want_bool()?,
            other => return Err(format!("unknown key `{other}` (use name, value, isRegex, isEqual)")),
        }
    }
    let name = name.filter(|n| !n.is_empty()).ok_or("a matcher needs a non-empty `name`")?;
    let value = value.ok_or("a matcher needs a `value` (use \"\" for an empty one)")?;
    Ok(json!({ "name": name, "value": value, "isRegex": is_regex, "isEqual": is_equal }))
}

/// `name="v"`, `name=~"re"`, `name!="v"`, `name!~"re"`; the value may be unquoted.
fn parse_matcher_text(text: &str) -> Result<Value, String> {
    let bad = || {
        format!("`{text}` is not a matcher like name=\"value\", name=~\"regex\", name!=\"value\" or name!~\"regex\"")
    };
    let pos = text.find(['=', '!']).ok_or_else(bad)?;
    let (name, rest) = (text[..pos].trim(), &text[pos..]);
    let (op, raw) =
        ["=~", "!~", "!=", "="].iter().find_map(|op| rest.strip_prefix(op).map(|r| (*op, r.trim()))).ok_or_else(bad)?;
    if name.is_empty() {
        return Err(bad());
    }
    let value = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        serde_json::from_str::<String>(raw).map_err(|_| format!("bad quoted value in `{text}`"))?
    } else if raw.starts_with('"') || raw.ends_with('"') {
        return Err(format!("unbalanced quotes in `{text}`"));
    } else {
        raw.to_string()
    };
    Ok(json!({
        "name": name,
        "value": value,
        "isRegex": op.ends_with('~'),
        "isEqual": op.starts_with('='),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSilenceArgs {
    /// The silence ID (a UUID, as returned by create_silence or the silence listings).
    #[serde(rename = "silenceId", alias = "silence_id", alias = "id")]
    silence_id: String,
}

pub fn delete_silence(args: DeleteSilenceArgs, ctx: &Context) -> Result<Output, ToolError> {
    let id = args.silence_id.trim().to_ascii_lowercase();
    if !is_uuid(&id) {
        return Err(ToolError::invalid(format!(
            "`silenceId` must be a silence UUID such as 3f2e8c1a-8d7b-4c5e-9a1f-2b3c4d5e6f70, got `{}`",
            args.silence_id
        )));
    }
    let backend = crate::backend(ctx)?;
    let path = format!("/api/v2/silence/{}", encode(&id));
    let not_found = |e: ToolError| match e {
        ToolError::NotFound(_) => ToolError::not_found(format!("no silence with id {id}")),
        other => other,
    };
    let before = backend.get_json(&path, &[]).map_err(not_found)?;
    let previous = silence_state(&before).to_string();
    // Expiring an expired silence is an error upstream; here it is a no-op, so the tool stays idempotent.
    if previous != "expired" {
        backend.send_json(backend.request("DELETE", &path, &[])).map_err(not_found)?;
    }
    let after = backend.get_json(&path, &[]).map_err(not_found)?;
    let mut out = compact(&after);
    out["silenceId"] = json!(id);
    out["previousState"] = json!(previous);
    out["alreadyExpired"] = json!(previous == "expired");
    Output::json(&out)
}

/// 8-4-4-4-12 hexadecimal digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}
