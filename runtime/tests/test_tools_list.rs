//! The tool list every client sees (names, titles, descriptions, schemas,
//! annotations) against the committed snapshot `tests/fixtures/tools_list.json`.
//!
//! The server runs as a child process serving `components/` over stdio with
//! a clean environment (no kubeconfig, no backend variables, `HOME` in a
//! temporary folder), so the list depends on the components alone. A change
//! to any component's schemas or descriptions shows up here; when the change
//! is intended, `UPDATE_SNAPSHOT=1` rewrites the snapshot.
//! `K8S_MCP_RUNTIME_BIN` runs the test against another build of the server.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Start-up compiles every component; a cold release build of the large
/// ones takes a while on a busy machine.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn snapshot_path() -> PathBuf {
    repo_root().join("tests/fixtures/tools_list.json")
}

fn server_binary() -> PathBuf {
    std::env::var_os("K8S_MCP_RUNTIME_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_k8s-mcp-runtime")), PathBuf::from)
}

/// A server over stdio, killed when dropped.
struct Server {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// What the server logged, shown when it does not answer.
    log: Arc<Mutex<String>>,
    _home: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let home = tempfile::tempdir().expect("temporary HOME");
        let components = repo_root().join("components");
        let mut child = Command::new(server_binary())
            .arg("serve")
            .arg("--components")
            .arg(&components)
            .env_clear()
            .env("HOME", home.path())
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .current_dir(home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", server_binary().display()));
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, stdin, lines, log, _home: home }
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").and_then(|()| self.stdin.flush()).expect("write to the server");
    }

    /// Send a request and wait for the answer with the same id.
    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self.lines.recv_timeout(ANSWER_TIMEOUT).unwrap_or_else(|e| {
                let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
                panic!("no answer to {method} ({e}); the server logged:\n{log}")
            });
            let Ok(message) = serde_json::from_str::<Value>(&line) else { continue };
            if message.get("id") == Some(&json!(id)) {
                if let Some(error) = message.get("error") {
                    panic!("{method} failed: {error}");
                }
                return message["result"].clone();
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every tool the server lists, following `nextCursor` pages.
fn list_tools() -> Vec<Value> {
    let mut server = Server::start();
    let init = server.request(
        1,
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test_tools_list", "version": "0"},
        }),
    );
    assert!(init["capabilities"]["tools"].is_object(), "the server offers no tools: {init}");
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let mut tools = Vec::new();
    let mut cursor: Option<Value> = None;
    for id in 2.. {
        let params = cursor.map_or_else(|| json!({}), |c| json!({ "cursor": c }));
        let page = server.request(id, "tools/list", params);
        tools.extend(page["tools"].as_array().expect("tools/list answers a tools array").iter().cloned());
        cursor = page.get("nextCursor").filter(|c| !c.is_null()).cloned();
        if cursor.is_none() {
            break;
        }
    }
    tools
}

fn name_of(tool: &Value) -> &str {
    tool["name"].as_str().unwrap_or("<unnamed>")
}

/// The first difference between two JSON values, as `path: left != right`.
fn first_difference(path: &str, want: &Value, got: &Value) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for key in w.keys().chain(g.keys().filter(|k| !w.contains_key(*k))) {
                let sub = format!("{path}/{key}");
                match (w.get(key), g.get(key)) {
                    (Some(a), Some(b)) => {
                        if let Some(d) = first_difference(&sub, a, b) {
                            return Some(d);
                        }
                    }
                    (a, b) => {
                        let show = |v: Option<&Value>| v.map_or_else(|| "absent".to_string(), Value::to_string);
                        return Some(format!("{sub}: snapshot {}, now {}", show(a), show(b)));
                    }
                }
            }
            None
        }
        (Value::Array(w), Value::Array(g)) => {
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                if let Some(d) = first_difference(&format!("{path}/{i}"), a, b) {
                    return Some(d);
                }
            }
            (w.len() != g.len()).then(|| format!("{path}: snapshot has {} items, now {}", w.len(), g.len()))
        }
        _ => (want != got).then(|| format!("{path}: snapshot {want}, now {got}")),
    }
}

/// A readable account of how `got` differs from `want`: tools added or
/// removed, then the first tool (in snapshot order) whose definition changed.
fn describe_difference(want: &[Value], got: &[Value]) -> String {
    let want_names: Vec<&str> = want.iter().map(name_of).collect();
    let got_names: Vec<&str> = got.iter().map(name_of).collect();
    let mut lines = Vec::new();
    let removed: Vec<&str> = want_names.iter().copied().filter(|n| !got_names.contains(n)).collect();
    let added: Vec<&str> = got_names.iter().copied().filter(|n| !want_names.contains(n)).collect();
    if !removed.is_empty() {
        lines.push(format!("tools gone: {removed:?}"));
    }
    if !added.is_empty() {
        lines.push(format!("tools new: {added:?}"));
    }
    let changed = want.iter().find_map(|w| {
        let g = got.iter().find(|g| name_of(g) == name_of(w))?;
        first_difference("", w, g).map(|detail| format!("first differing tool: {} ({detail})", name_of(w)))
    });
    match changed {
        Some(line) => lines.push(line),
        None if removed.is_empty() && added.is_empty() => lines.push("the same tools in another order".into()),
        None => {}
    }
    lines.join("\n")
}

#[test]
fn tools_list_matches_the_snapshot() {
    let tools = list_tools();
    assert!(!tools.is_empty(), "the server listed no tools; are the components built (scripts/build-components.sh)?");
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOT").is_some_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&Value::Array(tools)).expect("serialize") + "\n";
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        return;
    }
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e} (UPDATE_SNAPSHOT=1 writes it)", path.display()));
    let snapshot: Vec<Value> = serde_json::from_str(&text).expect("the snapshot is a JSON array of tools");
    if snapshot != tools {
        panic!(
            "tools/list differs from {}:\n{}\n(UPDATE_SNAPSHOT=1 rewrites the snapshot when the change is intended)",
            path.display(),
            describe_difference(&snapshot, &tools)
        );
    }
}
