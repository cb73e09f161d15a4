//! The operations of the `kube` WIT interface against the API server, each
//! checked against the policy first. Objects leave as JSON text with
//! `managedFields` stripped and Secret values masked.

use super::KubeService;
use super::api::{
    AccessDecision, AccessReview, ApplyOptions, DeleteOptions, ListOptions, LogOptions, MetricsKind, PatchKind,
    Propagation, ResourceRef,
};
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams};
use kube::discovery::ApiResource;
use serde_json::Value;

/// Why an operation failed; maps 1:1 onto the WIT `kube-error`.
#[derive(Debug, thiserror::Error)]
pub enum KubeFailure {
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Other(String),
}

impl From<super::policy::Denied> for KubeFailure {
    fn from(d: super::policy::Denied) -> Self {
        Self::Forbidden(d.0)
    }
}

impl From<kube::Error> for KubeFailure {
    fn from(e: kube::Error) -> Self {
        match e {
            kube::Error::Api(status) => {
                let msg = status.message.clone();
                match status.code {
                    403 => Self::Forbidden(msg),
                    404 => Self::NotFound(msg),
                    409 => Self::Conflict(msg),
                    429 => Self::Conflict(format!("blocked, retry later (a PodDisruptionBudget or rate limit): {msg}")),
                    400 | 422 => Self::Invalid(msg),
                    code => Self::Other(format!("API server answered {code}: {msg}")),
                }
            }
            kube::Error::HyperError(e) => Self::Unavailable(e.to_string()),
            kube::Error::Service(e) => Self::Unavailable(e.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

type R<T> = Result<T, KubeFailure>;

fn to_json(svc: &KubeService, value: &impl serde::Serialize) -> R<String> {
    let mut v = serde_json::to_value(value).map_err(|e| KubeFailure::Other(e.to_string()))?;
    strip_managed_fields(&mut v);
    svc.policy.redact(&mut v);
    Ok(v.to_string())
}

fn strip_managed_fields(v: &mut Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
        items.iter_mut().for_each(strip_managed_fields);
    }
}

/// The dynamic API for `target`, after the policy checks for `verb`.
async fn api_for(
    svc: &KubeService,
    ctx: Option<&str>,
    target: &ResourceRef,
    all_namespaces: bool,
) -> R<(Api<DynamicObject>, ApiResource)> {
    svc.policy.check_kind(&target.kind)?;
    let (ar, caps) = svc.resolve(ctx, &target.api_version, &target.kind).await?;
    svc.policy.check_kind(&ar.kind)?;
    let client = svc.client(ctx)?.clone();
    let api = if KubeService::is_namespaced(&caps) && !all_namespaces {
        let ns = target.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or("default");
        svc.policy.check_namespace(Some(ns))?;
        Api::namespaced_with(client, ns, &ar)
    } else {
        let ns = if KubeService::is_namespaced(&caps) { None } else { Some("") };
        if ns.is_none() {
            svc.policy.check_namespace(None)?;
        }
        Api::all_with(client, &ar)
    };
    Ok((api, ar))
}

fn name_of(target: &ResourceRef) -> R<&str> {
    target
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| KubeFailure::Invalid(format!("a {} name is required", target.kind)))
}

/// LIST as raw JSON: parsed once into a `Value` to strip `managedFields` and
/// mask Secrets, then written out (no typed round trip: lists are the
/// largest answers tools handle).
pub async fn list(svc: &KubeService, ctx: Option<&str>, target: &ResourceRef, o: &ListOptions) -> R<String> {
    let req = list_request(svc, ctx, target, o).await?;
    let v = parse_answer(&svc.client(ctx)?.request_text(req).await?)?;
    Ok(shape_list(svc, v))
}

/// The LIST request for `target`, after the policy checks.
pub(super) async fn list_request(
    svc: &KubeService,
    ctx: Option<&str>,
    target: &ResourceRef,
    o: &ListOptions,
) -> R<http::Request<Vec<u8>>> {
    let (api, ar) = api_for(svc, ctx, target, o.all_namespaces).await?;
    let lp = ListParams {
        label_selector: o.label_selector.clone(),
        field_selector: o.field_selector.clone(),
        limit: o.limit,
        continue_token: o.continue_token.clone(),
        ..Default::default()
    };
    let path = <DynamicObject as kube::Resource>::url_path(&ar, api.namespace());
    kube::core::Request::new(path).list(&lp).map_err(|e| KubeFailure::Invalid(e.to_string()))
}

/// A raw answer as JSON; a `Status` answer becomes the error it reports.
pub(super) fn parse_answer(text: &str) -> R<Value> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| KubeFailure::Other(format!("API server answered non-JSON: {e}")))?;
    if v.get("kind").and_then(Value::as_str) == Some("Status") {
        return Err(KubeFailure::Other(v.get("message").and_then(Value::as_str).unwrap_or("list failed").into()));
    }
    Ok(v)
}

/// A list as JSON text with `managedFields` stripped and Secrets masked.
pub(super) fn shape_list(svc: &KubeService, mut v: Value) -> String {
    strip_managed_fields(&mut v);
    svc.policy.redact(&mut v);
    v.to_string()
}

pub async fn get(svc: &KubeService, ctx: Option<&str>, target: &ResourceRef) -> R<String> {
    let (api, _) = api_for(svc, ctx, target, false).await?;
    to_json(svc, &api.get(name_of(target)?).await?)
}

fn parse_manifest(manifest: &str) -> R<DynamicObject> {
    serde_json::from_str(manifest)
        .map_err(|e| KubeFailure::Invalid(format!("manifest is not a Kubernetes object: {e}")))
}

fn target_of(obj: &DynamicObject, namespace: Option<String>) -> R<ResourceRef> {
    let types = obj.types.as_ref().ok_or_else(|| KubeFailure::Invalid("manifest needs apiVersion and kind".into()))?;
    Ok(ResourceRef {
        api_version: types.api_version.clone(),
        kind: types.kind.clone(),
        namespace: obj.metadata.namespace.clone().or(namespace),
        name: obj.metadata.name.clone(),
    })
}

pub async fn create(
    svc: &KubeService,
    ctx: Option<&str>,
    manifest: &str,
    namespace: Option<String>,
    dry_run: bool,
) -> R<String> {
    svc.policy.check_write("create")?;
    let obj = parse_manifest(manifest)?;
    let (api, _) = api_for(svc, ctx, &target_of(&obj, namespace)?, false).await?;
    let pp = PostParams { dry_run, ..Default::default() };
    to_json(svc, &api.create(&pp, &obj).await?)
}

pub async fn apply(
    svc: &KubeService,
    ctx: Option<&str>,
    manifest: &str,
    namespace: Option<String>,
    o: &ApplyOptions,
) -> R<String> {
    svc.policy.check_write("apply")?;
    let obj = parse_manifest(manifest)?;
    let target = target_of(&obj, namespace)?;
    let (api, _) = api_for(svc, ctx, &target, false).await?;
    let manager = o.field_manager.clone().unwrap_or_else(|| "k8s-mcp-runtime".into());
    let mut pp = PatchParams::apply(&manager);
    pp.force = o.force;
    pp.dry_run = o.dry_run;
    to_json(svc, &api.patch(name_of(&target)?, &pp, &Patch::Apply(&obj)).await?)
}

pub async fn patch(
    svc: &KubeService,
    ctx: Option<&str>,
    target: &ResourceRef,
    kind: PatchKind,
    body: &str,
    dry_run: bool,
) -> R<String> {
    svc.policy.check_write("patch")?;
    let (api, _) = api_for(svc, ctx, target, false).await?;
    let value: Value =
        serde_json::from_str(body).map_err(|e| KubeFailure::Invalid(format!("patch is not JSON: {e}")))?;
    let pp = PatchParams { dry_run, ..Default::default() };
    let name = name_of(target)?;
    let result = match kind {
        PatchKind::Merge => api.patch(name, &pp, &Patch::Merge(&value)).await?,
        PatchKind::Strategic => api.patch(name, &pp, &Patch::Strategic(&value)).await?,
        PatchKind::Json => {
            let ops: json_patch::Patch =
                serde_json::from_value(value).map_err(|e| KubeFailure::Invalid(format!("not a JSON patch: {e}")))?;
            api.patch(name, &pp, &Patch::<()>::Json(ops)).await?
        }
    };
    to_json(svc, &result)
}

pub async fn delete(svc: &KubeService, ctx: Option<&str>, target: &ResourceRef, o: &DeleteOptions) -> R<String> {
    svc.policy.check_write("delete")?;
    let (api, _) = api_for(svc, ctx, target, false).await?;
    let dp = DeleteParams {
        dry_run: o.dry_run,
        grace_period_seconds: o.grace_period_seconds.map(|g| g.clamp(0, i64::from(u32::MAX)) as u32),
        propagation_policy: o.propagation.map(|p| match p {
            Propagation::Foreground => kube::api::PropagationPolicy::Foreground,
            Propagation::Background => kube::api::PropagationPolicy::Background,
            Propagation::Orphan => kube::api::PropagationPolicy::Orphan,
        }),
        ..Default::default()
    };
    let out = api.delete(name_of(target)?, &dp).await?;
    match out {
        either::Either::Left(obj) => to_json(svc, &obj),
        either::Either::Right(status) => to_json(svc, &status),
    }
}

pub async fn scale(
    svc: &KubeService,
    ctx: Option<&str>,
    target: &ResourceRef,
    replicas: u32,
    dry_run: bool,
) -> R<String> {
    svc.policy.check_write("scale")?;
    let (api, _) = api_for(svc, ctx, target, false).await?;
    let patch = serde_json::json!({ "spec": { "replicas": replicas } });
    let pp = PatchParams { dry_run, ..Default::default() };
    let scale = api.patch_scale(name_of(target)?, &pp, &Patch::Merge(&patch)).await?;
    to_json(svc, &scale)
}

pub async fn logs(svc: &KubeService, ctx: Option<&str>, namespace: &str, pod: &str, o: &LogOptions) -> R<String> {
    svc.policy.check_namespace(Some(namespace))?;
    let api: Api<Pod> = Api::namespaced(svc.client(ctx)?.clone(), namespace);
    let lp = LogParams {
        container: o.container.clone(),
        tail_lines: o.tail_lines,
        since_seconds: o.since_seconds,
        previous: o.previous,
        timestamps: o.timestamps,
        limit_bytes: o.limit_bytes,
        ..Default::default()
    };
    Ok(api.logs(pod, &lp).await?)
}

/// Evict through `pods/{pod}/eviction`: policy/v1 first, policy/v1beta1 on
/// API servers older than 1.22.
pub async fn evict(
    svc: &KubeService,
    ctx: Option<&str>,
    namespace: &str,
    pod: &str,
    grace: Option<i64>,
    dry_run: bool,
) -> R<String> {
    svc.policy.check_write("evict")?;
    svc.policy.check_namespace(Some(namespace))?;
    if pod.is_empty() || pod.contains('/') {
        return Err(KubeFailure::Invalid(format!("bad pod name `{pod}`")));
    }
    let client = svc.client(ctx)?;
    let mut delete_options = serde_json::Map::new();
    if let Some(g) = grace {
        delete_options.insert("gracePeriodSeconds".into(), g.max(0).into());
    }
    if dry_run {
        delete_options.insert("dryRun".into(), serde_json::json!(["All"]));
    }
    let path = format!("/api/v1/namespaces/{namespace}/pods/{pod}/eviction");
    let mut last = None;
    for version in ["policy/v1", "policy/v1beta1"] {
        let body = serde_json::json!({
            "apiVersion": version, "kind": "Eviction",
            "metadata": { "name": pod, "namespace": namespace },
            "deleteOptions": delete_options,
        });
        let req = http::Request::post(&path)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .map_err(|e| KubeFailure::Invalid(e.to_string()))?;
        match client.request_text(req).await {
            Ok(text) => return Ok(text),
            // An older API server does not know the policy/v1 Eviction body.
            Err(kube::Error::Api(s))
                if version == "policy/v1" && matches!(s.code, 400 | 404 | 422) && s.message.contains("policy/v1") =>
            {
                last = Some(kube::Error::Api(s));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.map_or_else(|| KubeFailure::Other("eviction failed".into()), KubeFailure::from))
}

pub async fn events(
    svc: &KubeService,
    ctx: Option<&str>,
    namespace: Option<String>,
    involved: Option<ResourceRef>,
    o: &ListOptions,
) -> R<String> {
    let mut fields: Vec<String> = o.field_selector.iter().cloned().collect();
    if let Some(obj) = &involved {
        fields.push(format!("involvedObject.kind={}", obj.kind));
        if let Some(name) = &obj.name {
            fields.push(format!("involvedObject.name={name}"));
        }
    }
    let target = ResourceRef { api_version: "v1".into(), kind: "Event".into(), namespace, name: None };
    let all = o.all_namespaces || target.namespace.is_none();
    let opts = ListOptions {
        field_selector: (!fields.is_empty()).then(|| fields.join(",")),
        all_namespaces: all,
        ..o.clone()
    };
    list(svc, ctx, &target, &opts).await
}

pub async fn discovery(svc: &KubeService, ctx: Option<&str>) -> R<String> {
    let d = svc.discovery(ctx).await?;
    let groups: Vec<Value> = d
        .groups()
        .map(|g| {
            let resources: Vec<Value> = g
                .recommended_resources()
                .into_iter()
                .map(|(ar, caps)| {
                    serde_json::json!({
                        "kind": ar.kind, "plural": ar.plural, "apiVersion": ar.api_version,
                        "namespaced": KubeService::is_namespaced(&caps),
                        "verbs": caps.operations.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::json!({ "group": g.name(), "preferredVersion": g.preferred_version_or_latest(), "versions": g.versions().collect::<Vec<_>>(), "resources": resources })
        })
        .collect();
    Ok(serde_json::json!({ "groups": groups }).to_string())
}

pub async fn can_i(svc: &KubeService, ctx: Option<&str>, review: &AccessReview) -> R<AccessDecision> {
    let (group, _) = review.target.api_version.split_once('/').unwrap_or(("", ""));
    let plural = match svc.resolve(ctx, &review.target.api_version, &review.target.kind).await {
        Ok((ar, _)) => ar.plural,
        Err(_) => review.target.kind.to_ascii_lowercase(),
    };
    let ssar = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(review.verb.clone()),
                group: Some(group.to_string()),
                resource: Some(plural),
                subresource: review.subresource.clone(),
                namespace: review.target.namespace.clone(),
                name: review.target.name.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(svc.client(ctx)?.clone());
    let out = api.create(&PostParams::default(), &ssar).await?;
    let status = out.status.unwrap_or_default();
    Ok(AccessDecision { allowed: status.allowed, reason: status.reason.or(status.evaluation_error) })
}

pub async fn metrics(
    svc: &KubeService,
    ctx: Option<&str>,
    kind: MetricsKind,
    namespace: Option<String>,
    name: Option<String>,
) -> R<String> {
    let client = svc.client(ctx)?;
    let served = svc.discovery(ctx).await?.groups().any(|g| g.name() == "metrics.k8s.io");
    if !served {
        return Err(KubeFailure::Unsupported(
            "metrics API not available (metrics.k8s.io is not served; install metrics-server)".into(),
        ));
    }
    let mut path = String::from("/apis/metrics.k8s.io/v1beta1/");
    if let (MetricsKind::Pods, Some(ns)) = (kind, &namespace) {
        svc.policy.check_namespace(Some(ns))?;
        path.push_str(&format!("namespaces/{ns}/"));
    }
    path.push_str(match kind {
        MetricsKind::Pods => "pods",
        MetricsKind::Nodes => "nodes",
    });
    if let Some(n) = &name {
        path.push('/');
        path.push_str(n);
    }
    let req = http::Request::get(path).body(Vec::new()).map_err(|e| KubeFailure::Invalid(e.to_string()))?;
    Ok(client.request_text(req).await?)
}

/// Run a command in a container; bounded output and time. Gated by `allow_exec`.
pub async fn exec(
    svc: &KubeService,
    ctx: Option<&str>,
    namespace: &str,
    pod: &str,
    o: &super::api::ExecOptions,
) -> R<super::api::ExecResult> {
    use tokio::io::AsyncReadExt;
    if !svc.policy.doc.allow_exec {
        return Err(KubeFailure::Forbidden("pod exec is disabled by policy (kubernetes.allow_exec)".into()));
    }
    svc.policy.check_write("exec")?;
    svc.policy.check_namespace(Some(namespace))?;
    if o.command.is_empty() {
        return Err(KubeFailure::Invalid("a command is required".into()));
    }
    let api: Api<Pod> = Api::namespaced(svc.client(ctx)?.clone(), namespace);
    let mut ap = kube::api::AttachParams::default().stdout(true).stderr(true).stdin(false);
    if let Some(c) = &o.container {
        ap = ap.container(c);
    }
    let max = o.max_output_bytes.unwrap_or(1024 * 1024) as usize;
    let timeout = std::time::Duration::from_millis(u64::from(o.timeout_ms.unwrap_or(30_000)));
    let run = async {
        let mut proc = api.exec(pod, o.command.clone(), &ap).await?;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        if let Some(s) = proc.stdout() {
            s.take(max as u64 + 1).read_to_end(&mut out).await.map_err(|e| KubeFailure::Other(e.to_string()))?;
        }
        if let Some(s) = proc.stderr() {
            s.take(max as u64 + 1).read_to_end(&mut err).await.map_err(|e| KubeFailure::Other(e.to_string()))?;
        }
        let status = match proc.take_status() {
            Some(f) => tokio::time::timeout(std::time::Duration::from_secs(5), f).await.ok().flatten(),
            None => None,
        };
        let exit_code = status.as_ref().and_then(|s| {
            if s.status.as_deref() == Some("Success") {
                return Some(0);
            }
            let causes = s.details.as_ref()?.causes.as_ref()?;
            causes.iter().find(|c| c.reason.as_deref() == Some("ExitCode"))?.message.as_deref()?.parse().ok()
        });
        Ok::<_, KubeFailure>((out, err, exit_code))
    };
    let (mut out, mut err, exit_code) = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| KubeFailure::Unavailable(format!("exec timed out after {} ms", timeout.as_millis())))??;
    let truncated = out.len() > max || err.len() > max;
    out.truncate(max);
    err.truncate(max);
    Ok(super::api::ExecResult {
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        exit_code,
        truncated,
    })
}
