//! The stub cluster's built-in content: indices with documents, mappings
//! and settings, two nodes (8.x `roles`), a data stream.

use serde_json::{Value, json};

pub struct Index {
    pub name: &'static str,
    pub uuid: &'static str,
    pub health: &'static str,
    pub status: &'static str,
    pub replicas: u64,
    pub docs: Vec<Value>,
    pub mapping: Value,
}

impl Index {
    pub fn size_bytes(&self) -> u64 {
        self.docs.iter().map(|d| d.to_string().len() as u64 * 3).sum::<u64>() + 225
    }
}

pub const VERSION: &str = "8.15.0";

const LEVELS: [&str; 3] = ["info", "warn", "error"];
const SERVICES: [&str; 3] = ["checkout", "payments", "search"];

pub fn indices() -> Vec<Index> {
    let logs: Vec<Value> = (0..25)
        .map(|i| {
            let level = LEVELS[i % 3];
            json!({
                "@timestamp": format!("2026-11-25T10:{:02}:00Z", i),
                "level": level,
                "service": SERVICES[i % 3],
                "message": match level {
                    "error" => format!("payment gateway timeout after {} ms", 1000 + i * 10),
                    "warn" => format!("slow query took {} ms", 200 + i),
                    _ => format!("request {i} served"),
                },
                "http": { "status": if level == "error" { 504 } else { 200 } },
            })
        })
        .collect();
    let metrics: Vec<Value> = (0..3)
        .map(|i| json!({ "@timestamp": format!("2026-11-25T11:0{i}:00Z"), "host": format!("web-{i}"), "cpu": 0.25 * (i + 1) as f64 }))
        .collect();
    let ds: Vec<Value> = (0..2)
        .map(|i| json!({ "@timestamp": format!("2026-11-25T12:0{i}:00Z"), "message": format!("GET /index.html {}", 200 + i) }))
        .collect();
    vec![
        Index {
            name: "logs-app-2026.11.25",
            uuid: "kY3qS1mZTz2eRk3a8i1kXg",
            health: "green",
            status: "open",
            replicas: 0,
            docs: logs,
            mapping: json!({ "properties": {
                "@timestamp": { "type": "date" },
                "level": { "type": "keyword" },
                "service": { "type": "keyword" },
                "message": { "type": "text", "fields": { "keyword": { "type": "keyword", "ignore_above": 256 } } },
                "http": { "properties": { "status": { "type": "integer" } } },
            }}),
        },
        Index {
            name: "metrics-web",
            uuid: "Qm9uZXktYmFkZ2VyLTAwMQ",
            health: "yellow",
            status: "open",
            replicas: 1,
            docs: metrics,
            mapping: json!({ "properties": {
                "@timestamp": { "type": "date" }, "host": { "type": "keyword" }, "cpu": { "type": "float" },
            }}),
        },
        Index {
            name: ".ds-logs-nginx-default-2026.11.25-000001",
            uuid: "ZGF0YS1zdHJlYW0tMDAwMQ",
            health: "green",
            status: "open",
            replicas: 0,
            docs: ds,
            mapping: json!({ "_data_stream_timestamp": { "enabled": true }, "properties": {
                "@timestamp": { "type": "date" }, "message": { "type": "match_only_text" },
            }}),
        },
        Index {
            name: "archive-2025",
            uuid: "YXJjaGl2ZS0yMDI1LTAwMQ",
            health: "green",
            status: "close",
            replicas: 0,
            docs: vec![],
            mapping: json!({ "properties": { "message": { "type": "text" } } }),
        },
    ]
}

pub fn data_streams() -> Vec<Value> {
    vec![json!({
        "name": "logs-nginx-default",
        "timestamp_field": { "name": "@timestamp" },
        "indices": [{
            "index_name": ".ds-logs-nginx-default-2026.11.25-000001",
            "index_uuid": "ZGF0YS1zdHJlYW0tMDAwMQ",
            "prefer_ilm": true,
            "ilm_policy": "logs",
            "managed_by": "Index Lifecycle Management",
        }],
        "generation": 1,
        "_meta": { "description": "default logs template installed by x-pack", "managed": true },
        "status": "GREEN",
        "template": "logs",
        "ilm_policy": "logs",
        "next_generation_managed_by": "Index Lifecycle Management",
        "prefer_ilm": true,
        "hidden": false,
        "system": false,
        "allow_custom_routing": false,
        "replicated": false,
        "rollover_on_write": false,
    })]
}

pub fn nodes() -> Value {
    let node = |name: &str, ip: &str, roles: &[&str]| {
        json!({
            "name": name, "transport_address": format!("{ip}:9300"), "host": ip, "ip": ip,
            "version": VERSION, "build_flavor": "default", "build_type": "docker", "build_hash": "1a77947f34deddb41af25e6f0ddb8e830159c179",
            "roles": roles, "attributes": { "xpack.installed": "true" },
            "settings": { "cluster": { "name": "stub-cluster" }, "node": { "name": name } },
            "os": { "name": "Linux", "arch": "amd64", "available_processors": 4 },
            "jvm": { "version": "22.0.1", "mem": { "heap_max_in_bytes": 1_073_741_824u64 } },
        })
    };
    json!({
        "_nodes": { "total": 2, "successful": 2, "failed": 0 },
        "cluster_name": "stub-cluster",
        "nodes": {
            "b2kz5vQ9Tz-7gB6t3pE1cA": node("es-master-0", "10.0.0.10", &["master", "remote_cluster_client"]),
            "Xr4m1yWgRkWm0u8G0m3Xjg": node("es-data-0", "10.0.0.11", &["data_content", "data_hot", "ingest", "ml", "transform"]),
        },
    })
}

pub fn node_stats() -> Value {
    let stats = |name: &str, cpu: u64, heap: u64, load: f64, free: u64| {
        json!({
            "name": name,
            "os": { "cpu": { "percent": cpu, "load_average": { "1m": load, "5m": load, "15m": load } }, "mem": { "used_percent": 61 } },
            "jvm": { "mem": { "heap_used_percent": heap, "heap_used_in_bytes": heap * 10_737_418 } },
            "fs": { "total": { "total_in_bytes": 107_374_182_400u64, "available_in_bytes": free } },
        })
    };
    json!({
        "_nodes": { "total": 2, "successful": 2, "failed": 0 },
        "cluster_name": "stub-cluster",
        "nodes": {
            "b2kz5vQ9Tz-7gB6t3pE1cA": stats("es-master-0", 3, 21, 0.15, 90_000_000_000),
            "Xr4m1yWgRkWm0u8G0m3Xjg": stats("es-data-0", 42, 67, 1.85, 52_000_000_000),
        },
    })
}
