//! Trust, from public material only. istiod signs workload certificates with the CA in the
//! `cacerts` Secret (istio/istio pilot/pkg/bootstrap/istio_ca.go,
//! detectSigningCABundleAndCRL; file names in security/pkg/pki/ca/ca.go): the
//! `kubernetes.io/tls` form (`tls.crt`, `tls.key`, `ca.crt`) wins over the istiod form
//! (`ca-cert.pem`, `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`). Without it istiod
//! makes its own self-signed root and cross-cluster mTLS fails. Clusters trust each other
//! only when their CAs chain to the same root. A cert-manager `Certificate` writing
//! `cacerts` is a declared CA: its issuer is compared instead (a shared root behind two
//! issuers cannot be proven offline).
//!
//! Key material is never read beyond its presence, and nothing of a certificate but its
//! subject, fingerprint and dates is ever printed.

use base64::Engine as _;
use serde_json::Value;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::model::{Obj, Render};
use super::{CheckInfo, Ctx, Findings, ObjectRef};

pub const TRUST_ROOT: &str = "trust-root";
pub const CA_CERT: &str = "ca-cert";
pub const CERT_EXPIRY: &str = "cert-expiry";
pub const CACERTS_MISSING: &str = "cacerts-missing";
pub const CA_ISSUER: &str = "ca-issuer";

pub const CHECKS: &[CheckInfo] = &[
    CheckInfo { id: TRUST_ROOT, reads: &["Secret"], about: "every cluster's CA chains to the same root certificate (SHA-256 fingerprints)" },
    CheckInfo { id: CA_CERT, reads: &["Secret", "Certificate"], about: "the cacerts CA certificate is a CA (basicConstraints CA:true) and chains to its root; the Secret has every file istiod reads" },
    CheckInfo { id: CERT_EXPIRY, reads: &["Secret"], about: "no CA or root certificate expires within 30 days (warning) or has expired (error)" },
    CheckInfo { id: CACERTS_MISSING, reads: &["Secret", "Certificate"], about: "each cluster declares its CA: a cacerts Secret or a cert-manager Certificate writing it (warning)" },
    CheckInfo { id: CA_ISSUER, reads: &["Certificate"], about: "cert-manager Certificates writing cacerts use the same issuerRef in every cluster (warning)" },
];

pub use crate::transform::istio::CACERTS_SECRET as CACERTS;
const THIRTY_DAYS: i64 = 30 * 24 * 3600;

/// What one cluster declares as its CA.
enum Declared<'a> {
    Secret { obj: &'a Obj, root_fingerprint: Option<String> },
    Certificate { obj: &'a Obj, issuer: String },
    Nothing,
}

/// A Secret file's bytes (`stringData` as written, `data` base64-decoded).
fn secret_file(secret: &Obj, key: &str) -> Result<Vec<u8>, String> {
    if let Some(text) = secret.at("/stringData").and_then(|d| d.get(key)).and_then(Value::as_str) {
        return Ok(text.as_bytes().to_vec());
    }
    let Some(b64) = secret.at("/data").and_then(|d| d.get(key)).and_then(Value::as_str) else {
        return Err("is not a string".into());
    };
    let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    // The decoder's error would quote input bytes; say only that it is not base64.
    base64::engine::general_purpose::STANDARD.decode(clean).map_err(|_| "is not valid base64".to_owned())
}

fn has_key(secret: &Obj, key: &str) -> bool {
    ["/data", "/stringData"].iter().any(|p| secret.at(p).and_then(|d| d.get(key)).is_some())
}

/// The DER of every certificate in a PEM bundle; `Err` when a block does not parse.
fn pem_certs(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|e| format!("not PEM ({e})"))?;
        if pem.label != "CERTIFICATE" {
            continue;
        }
        X509Certificate::from_der(&pem.contents).map_err(|e| format!("a certificate does not parse ({e})"))?;
        out.push(pem.contents);
    }
    Ok(out)
}

fn fingerprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

fn is_ca(c: &X509Certificate) -> bool {
    matches!(c.basic_constraints(), Ok(Some(ext)) if ext.value.ca)
}

/// Is `child` issued and signed by `parent`?
fn issued_by(child: &X509Certificate, parent: &X509Certificate) -> bool {
    child.issuer() == parent.subject() && child.verify_signature(Some(parent.public_key())).is_ok()
}

/// The fingerprint of the root `signing` chains to, through `pool`, among `roots`.
fn chain_to_root(signing: &[u8], pool: &[Vec<u8>], roots: &[Vec<u8>]) -> Result<String, String> {
    let mut current = signing.to_vec();
    for _ in 0..10 {
        let Some(cert) = parse(&current) else { return Err("a certificate does not parse".into()) };
        if let Some(root) = roots.iter().find(|r| parse(r).is_some_and(|rc| issued_by(&cert, &rc))) {
            return Ok(fingerprint(root));
        }
        if roots.iter().any(|r| r == &current) {
            return Ok(fingerprint(&current));
        }
        let next = pool.iter().find(|p| **p != current && parse(p).is_some_and(|pc| issued_by(&cert, &pc)));
        let Some(next) = next else {
            return Err(format!(
                "{} is not signed by the root (nor by a certificate of the chain that is)",
                cert.subject()
            ));
        };
        let Some(nc) = parse(next) else { return Err("a certificate does not parse".into()) };
        if !is_ca(&nc) {
            return Err(format!("intermediate {} is not a CA (basicConstraints CA:true)", nc.subject()));
        }
        current = next.clone();
    }
    Err("the chain is longer than 10 certificates".into())
}

fn check_secret<'a>(ctx: &Ctx, cluster: &str, secret: &'a Obj, out: &mut Findings) -> Declared<'a> {
    let obj = Some(ObjectRef::of(secret));
    let tls = has_key(secret, "tls.crt");
    let (signing_key, key_key, chain_keys, root_key): (&str, &str, Vec<&str>, &str) = if tls {
        ("tls.crt", "tls.key", vec!["tls.crt", "ca.crt"], "ca.crt")
    } else {
        ("ca-cert.pem", "ca-key.pem", vec!["cert-chain.pem"], "root-cert.pem")
    };
    let nothing = Declared::Secret { obj: secret, root_fingerprint: None };
    for key in [signing_key, key_key, root_key] {
        if !has_key(secret, key) {
            out.error(
                CA_CERT,
                cluster,
                obj.clone(),
                format!("field data[\"{key}\"]: missing; istiod needs it to sign with this CA"),
            );
            return nothing;
        }
    }
    let load = |key: &str, out: &mut Findings| -> Option<Vec<Vec<u8>>> {
        let bytes = match secret_file(secret, key) {
            Ok(b) => b,
            Err(e) => {
                out.error(CA_CERT, cluster, obj.clone(), format!("field data[\"{key}\"]: {e}"));
                return None;
            }
        };
        match pem_certs(&bytes) {
            Ok(c) if !c.is_empty() => Some(c),
            Ok(_) => {
                out.error(CA_CERT, cluster, obj.clone(), format!("field data[\"{key}\"]: holds no certificate"));
                None
            }
            Err(e) => {
                out.error(CA_CERT, cluster, obj.clone(), format!("field data[\"{key}\"]: {e}"));
                None
            }
        }
    };
    let Some(signing) = load(signing_key, out) else { return nothing };
    let Some(roots) = load(root_key, out) else { return nothing };
    let mut pool: Vec<Vec<u8>> = signing.clone();
    for k in &chain_keys {
        if has_key(secret, k) {
            pool.extend(load(k, out).unwrap_or_default());
        }
    }
    for der in pool.iter().chain(&roots) {
        let Some(c) = parse(der) else { continue };
        let left = c.validity().not_after.timestamp() - ctx.now;
        if left < 0 {
            out.error(CERT_EXPIRY, cluster, obj.clone(), format!("certificate {} has expired", c.subject()));
        } else if left < THIRTY_DAYS {
            out.warning(
                CERT_EXPIRY,
                cluster,
                obj.clone(),
                format!("certificate {} expires in {} day(s)", c.subject(), left / 86400),
            );
        }
    }
    let Some(ca) = parse(&signing[0]) else { return nothing };
    if !is_ca(&ca) {
        out.error(
            CA_CERT,
            cluster,
            obj.clone(),
            format!("field data[\"{signing_key}\"]: {} is not a CA (basicConstraints CA:true): istiod cannot sign workload certificates with it", ca.subject()),
        );
        return nothing;
    }
    match chain_to_root(&signing[0], &pool, &roots) {
        Ok(fp) => Declared::Secret { obj: secret, root_fingerprint: Some(fp) },
        Err(e) => {
            out.error(
                CA_CERT,
                cluster,
                obj,
                format!("field data[\"{signing_key}\"]: does not chain to data[\"{root_key}\"]: {e}"),
            );
            nothing
        }
    }
}

fn declared<'a>(ctx: &Ctx, render: &'a Render, out: &mut Findings) -> Declared<'a> {
    let ns = &ctx.topo.istio_namespace;
    if let Some(secret) = render.get("", "Secret", ns, CACERTS) {
        return check_secret(ctx, &render.cluster, secret, out);
    }
    let cert = render
        .kind("cert-manager.io", "Certificate")
        .find(|c| c.in_ns(ns) && c.str_at("/spec/secretName") == Some(CACERTS));
    if let Some(c) = cert {
        if c.at("/spec/isCA").and_then(Value::as_bool) != Some(true) {
            out.error(
                CA_CERT,
                &render.cluster,
                Some(ObjectRef::of(c)),
                "field spec.isCA: not true, so cert-manager writes a certificate istiod cannot sign with".into(),
            );
        }
        let r = |k: &str| c.at(&format!("/spec/issuerRef/{k}")).and_then(Value::as_str).unwrap_or("");
        let group = if r("group").is_empty() { "cert-manager.io" } else { r("group") };
        let kind = if r("kind").is_empty() { "Issuer" } else { r("kind") };
        return Declared::Certificate { obj: c, issuer: format!("{kind}.{group}/{}", r("name")) };
    }
    Declared::Nothing
}

pub fn run(ctx: &Ctx, out: &mut Findings) {
    // A remote's workloads are signed by its primary's istiod: only primaries need a CA.
    let declared: Vec<(&str, Declared)> = ctx
        .topo
        .clusters
        .iter()
        .zip(ctx.renders)
        .filter(|(c, _)| c.role == crate::config::Role::Primary)
        .map(|(_, r)| (r.cluster.as_str(), declared(ctx, r, out)))
        .collect();
    let mut roots: Vec<(&str, &Obj, &str)> = Vec::new();
    let mut issuers: Vec<(&str, &Obj, &str)> = Vec::new();
    for (cluster, d) in &declared {
        match d {
            Declared::Secret { obj, root_fingerprint: Some(fp) } => roots.push((cluster, obj, fp)),
            Declared::Secret { .. } => {}
            Declared::Certificate { obj, issuer } => issuers.push((cluster, obj, issuer)),
            Declared::Nothing => out.warning(
                CACERTS_MISSING,
                cluster,
                Some(ObjectRef::new("Secret", &ctx.topo.istio_namespace, CACERTS)),
                "no cacerts Secret or cert-manager Certificate writing it in the render: istiod then signs with its own root and cross-cluster mTLS fails (unless cacerts is applied another way)".into(),
            ),
        }
    }
    if let Some((first_cluster, _, first_fp)) = roots.first() {
        for (cluster, obj, fp) in &roots[1..] {
            if fp != first_fp {
                out.error(
                    TRUST_ROOT,
                    cluster,
                    Some(ObjectRef::of(obj)),
                    format!("chains to root {} but cluster {first_cluster}'s CA chains to root {}: the clusters will not trust each other", short(fp), short(first_fp)),
                );
            }
        }
    }
    if let Some((first_cluster, _, first)) = issuers.first() {
        for (cluster, obj, issuer) in &issuers[1..] {
            if issuer != first {
                out.warning(
                    CA_ISSUER,
                    cluster,
                    Some(ObjectRef::of(obj)),
                    format!("field spec.issuerRef: {issuer}, but cluster {first_cluster} uses {first}: a shared root cannot be proven offline"),
                );
            }
        }
    }
    if !roots.is_empty() && !issuers.is_empty() {
        let (c, obj, _) = issuers[0];
        out.warning(
            CA_ISSUER,
            c,
            Some(ObjectRef::of(obj)),
            format!("cluster {c} takes its CA from cert-manager while cluster {} has a cacerts Secret: that they share a root cannot be proven offline", roots[0].0),
        );
    }
}

/// A fingerprint shortened for messages (enough to tell roots apart).
fn short(fp: &str) -> String {
    format!("SHA256 {}…", &fp[..fp.len().min(23)])
}
