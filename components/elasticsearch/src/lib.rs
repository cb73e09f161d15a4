//! The `elasticsearch` service: cluster and index metadata (the Go
//! k8s-mcp-server's twelve tools, same names and parameters) plus document
//! search, count, mappings and data streams, over the Elasticsearch REST API
//! of the configured addresses (`MCP_ELASTICSEARCH_ADDRESSES`, tried in
//! order). Answers of 2.x to 8.x are read, including the shapes that changed
//! (hit totals, typeless mappings, node roles, node stats).

mod client;
mod cluster;
mod common;
mod indices;
mod search;

use k8s_mcp_sdk::prelude::*;

struct Elasticsearch;

impl Service for Elasticsearch {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new("health", "Cluster health: status, nodes, shard counts; `level` indices or shards adds detail.", cluster::health)
                .read_only(),
            Tool::new("list_indices", "Names of all indices (sorted; at most `limit`, default 500).", indices::list_indices).read_only(),
            Tool::new("index_stats", "Statistics of one index (documents, store, indexing, search, ...).", indices::index_stats)
                .read_only(),
            Tool::new("nodes", "Full node information (settings, OS, JVM, plugins) of every node.", cluster::nodes).read_only(),
            Tool::new(
                "indices_summary",
                "Compact paged index list (name, docs, size, status; health on request), like list_indices_paginated.",
                indices::list_indices_paginated,
            )
            .read_only(),
            Tool::new("info", "Cluster name, UUID and version of the Elasticsearch cluster.", cluster::info).read_only(),
            Tool::new(
                "list_indices_paginated",
                "Paged compact index list with an optional name pattern and health column (limit default 20, at most 100; pass `continueToken` for the next page).",
                indices::list_indices_paginated,
            )
            .read_only(),
            Tool::new(
                "nodes_summary",
                "Compact node list (name, IP, version, roles), optionally filtered by role, with heap/CPU/load/disk metrics on request (limit default 50, at most 100).",
                cluster::nodes_summary,
            )
            .read_only(),
            Tool::new(
                "cluster_health_summary",
                "Compact cluster health, optionally with per-index health (unhealthy first).",
                cluster::health_summary,
            )
            .read_only(),
            Tool::new(
                "get_index_detail_advanced",
                "One index: stats, settings and a field table by default, segments on request; outputFormat=full returns the raw answers.",
                indices::get_index_detail,
            )
            .read_only(),
            Tool::new(
                "get_cluster_detail_advanced",
                "Cluster deep-dive: version and health, plus nodes, indices, settings, stats and shard allocation on request.",
                cluster::cluster_detail,
            )
            .read_only(),
            Tool::new(
                "search_indices",
                "Find indices by name (wildcards or substring), health, open/close status and document-count range; sorted and paged (limit default 30, at most 200).",
                indices::search_indices,
            )
            .read_only(),
            Tool::new(
                "search",
                "Search documents with the query DSL (`query`) or query-string syntax (`q`); size default 10, at most 100; `from` pages; optional sort, source fields and aggregations; raw=true returns Elasticsearch's answer.",
                search::search,
            )
            .read_only(),
            Tool::new(
                "search_summary",
                "Search documents and return a compact table: total, then one row per hit with index, id and the chosen (or most common) fields, long values cut (size default 20, at most 100).",
                search::search_summary,
            )
            .read_only(),
            Tool::new("count", "Count documents matching a query DSL object or a query string.", search::count).read_only(),
            Tool::new(
                "get_mapping",
                "Field table (path and type) of an index's mapping; raw=true returns the mapping as it is.",
                indices::get_mapping,
            )
            .read_only(),
            Tool::new(
                "data_streams",
                "Data streams (Elasticsearch 7.9+): name, status, generation, backing indices, template, ILM policy.",
                search::data_streams,
            )
            .read_only(),
        ]
    }
}

k8s_mcp_sdk::export_service!(Elasticsearch);
