//! Objects in conflict for the same host and port, in one render:
//! - two ServiceEntries with the same host in one namespace: istio/istio
//!   pilot/pkg/model/push_context.go (initServiceRegistry) keeps only the oldest;
//! - the same host and port with different protocols (Istio's IST0177,
//!   pkg/config/analysis/analyzers/serviceentry);
//! - two Gateways with the same selector, port and overlapping hosts (IST0145,
//!   pkg/config/analysis/analyzers/gateway/conflictinggateway.go);
//! - overlapping AUTO_PASSTHROUGH hosts on one gateway port, which make Envoy reject the
//!   listener (istio/istio#42050).

use std::collections::BTreeMap;

use serde_json::Value;

use super::istio::{self as ist, hosts_overlap};
use super::model::{string_map, Obj};
use super::{CheckInfo, Ctx, Findings, ObjectRef};

pub const SERVICE_ENTRY_CONFLICT: &str = "service-entry-conflict";
pub const GATEWAY_CONFLICT: &str = "gateway-conflict";
pub const PASSTHROUGH_OVERLAP: &str = "passthrough-overlap";

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo { id: SERVICE_ENTRY_CONFLICT, reads: &["ServiceEntry"], about: "no two ServiceEntries for one host in one namespace (Istio keeps the oldest), nor for one host and port with different protocols (IST0177)" },
    CheckInfo { id: GATEWAY_CONFLICT, reads: &["Gateway"], about: "no two Gateways with the same selector, port and overlapping hosts (IST0145)" },
    CheckInfo { id: PASSTHROUGH_OVERLAP, reads: &["Gateway"], about: "no overlapping AUTO_PASSTHROUGH hosts on one gateway port (istio/istio#42050)" },
];

pub fn run(ctx: &Ctx, out: &mut Findings) {
    for render in ctx.renders {
        service_entries(&render.cluster, render.kind("networking.istio.io", "ServiceEntry").collect(), out);
        gateways(&render.cluster, render.kind("networking.istio.io", "Gateway").collect(), out);
    }
}

fn service_entries(cluster: &str, entries: Vec<&Obj>, out: &mut Findings) {
    // host -> (namespace, entry, port -> protocol)
    let mut by_host: BTreeMap<&str, Vec<&Obj>> = BTreeMap::new();
    for se in &entries {
        for h in ist::strings(se.at("/spec/hosts")) {
            by_host.entry(h).or_default().push(se);
        }
    }
    for (host, list) in by_host {
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if std::ptr::eq(*a, *b) {
                    continue;
                }
                if a.ns() == b.ns() {
                    out.error(
                        SERVICE_ENTRY_CONFLICT,
                        cluster,
                        Some(ObjectRef::of(b)),
                        format!("field spec.hosts: {host} is also defined by ServiceEntry {}/{}; Istio keeps only the oldest of the two in namespace {}", a.ns(), a.name, a.ns()),
                    );
                    continue;
                }
                for (pa, proto_a) in ports(a) {
                    for (pb, proto_b) in ports(b) {
                        if pa == pb && !proto_a.eq_ignore_ascii_case(&proto_b) {
                            out.error(
                                SERVICE_ENTRY_CONFLICT,
                                cluster,
                                Some(ObjectRef::of(b)),
                                format!("field spec.ports: host {host} port {pa} is {proto_b} here but {proto_a} in ServiceEntry {}/{} (IST0177)", a.ns(), a.name),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn ports(se: &Obj) -> Vec<(u64, String)> {
    se.at("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((p.get("number")?.as_u64()?, p.get("protocol").and_then(Value::as_str).unwrap_or("").to_owned()))
        })
        .collect()
}

struct Server<'a> {
    gateway: &'a Obj,
    index: usize,
    selector: Vec<(&'a str, &'a str)>,
    port: u64,
    passthrough: bool,
    hosts: Vec<&'a str>,
}

fn gateways(cluster: &str, list: Vec<&Obj>, out: &mut Findings) {
    let mut servers: Vec<Server> = Vec::new();
    for g in &list {
        let mut selector = string_map(g.at("/spec/selector"));
        selector.sort();
        for (index, s) in g.at("/spec/servers").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let Some(port) = s.pointer("/port/number").and_then(Value::as_u64) else { continue };
            let hosts = ist::strings(s.get("hosts")).into_iter().map(|h| ist::split_ns_host(h).1).collect();
            let passthrough = s.pointer("/tls/mode").and_then(Value::as_str) == Some("AUTO_PASSTHROUGH");
            servers.push(Server { gateway: g, index, selector: selector.clone(), port, passthrough, hosts });
        }
    }
    for s in &servers {
        if !s.passthrough {
            continue;
        }
        for (i, a) in s.hosts.iter().enumerate() {
            for b in &s.hosts[i + 1..] {
                if a != b && hosts_overlap(a, b) {
                    out.error(
                        PASSTHROUGH_OVERLAP,
                        cluster,
                        Some(ObjectRef::of(s.gateway)),
                        format!("field spec.servers[{}].hosts: AUTO_PASSTHROUGH hosts {a} and {b} overlap; Envoy rejects the listener (istio/istio#42050)", s.index),
                    );
                }
            }
        }
    }
    for (i, a) in servers.iter().enumerate() {
        for b in &servers[i + 1..] {
            if std::ptr::eq(a.gateway, b.gateway) || a.port != b.port || a.selector != b.selector {
                continue;
            }
            let overlap = a.hosts.iter().find_map(|x| b.hosts.iter().find(|y| hosts_overlap(x, y)).map(|y| (*x, *y)));
            let Some((x, y)) = overlap else { continue };
            let (check, why) = if a.passthrough && b.passthrough {
                (
                    PASSTHROUGH_OVERLAP,
                    "overlapping AUTO_PASSTHROUGH hosts make Envoy reject the listener (istio/istio#42050)",
                )
            } else {
                (GATEWAY_CONFLICT, "same selector, port and hosts (IST0145)")
            };
            out.error(
                check,
                cluster,
                Some(ObjectRef::of(b.gateway)),
                format!(
                    "field spec.servers[{}]: port {} host {y} conflicts with Gateway {}/{} host {x}: {why}",
                    b.index,
                    b.port,
                    a.gateway.ns(),
                    a.gateway.name
                ),
            );
        }
    }
}
