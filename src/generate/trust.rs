//! The shared root of trust: a cert-manager `Certificate` that gives this cluster's istiod
//! its own intermediate CA, signed by an issuer that hands out the same root everywhere.
//!
//! What istiod reads (istio/istio pilot/pkg/bootstrap/istio_ca.go,
//! `detectSigningCABundleAndCRL`, key names in security/pkg/pki/ca/ca.go): the `cacerts`
//! Secret is mounted at ./etc/cacerts. If `tls.crt` exists there, the `kubernetes.io/tls`
//! shape wins: `tls.crt` is the signing certificate, `tls.key` its key, `ca.crt` the root,
//! and the chain is `tls.crt` then `ca.crt`. Only without `tls.crt` does istiod read its
//! four-key shape (`ca-cert.pem`, `ca-key.pem`, `cert-chain.pem`, `root-cert.pem`).
//! `NewPluggedCertIstioCAOptions` (security/pkg/pki/ca/ca.go) refuses a signing certificate
//! that is not a CA, and the bundle must verify up to `ca.crt`.
//!
//! What cert-manager writes (cert-manager v1.21.1, pkg/controller/certificaterequests/ca/ca.go
//! with pkg/util/pki/parse_certificate_chain.go): for a CA issuer, `tls.crt` is the new
//! certificate followed by the issuer's chain without the self-signed root, `tls.key` its
//! key, and `ca.crt` the self-signed root of the issuer's chain. So a CA issuer whose Secret
//! holds the mesh root gives istiod exactly the shape above.
//!
//! eastwest only describes the request: cert-manager makes the key, in the cluster. Nothing
//! here generates, reads or prints key material.

use serde_json::{json, Value};

use super::Generated;
use crate::config::{CertManagerTrust, Mesh, Role};

/// The Secret istiod mounts for a plugged-in CA (security/pkg/pki/ca/ca.go `CACertsSecret`).
pub const SECRET_NAME: &str = "cacerts";

/// Key usages of an intermediate CA. Only key usages: an extended key usage on the
/// intermediate would narrow what istiod may sign (Go's chain verification checks it, and
/// Istio's own tools/certs sets none).
const USAGES: &[&str] = &["cert sign", "crl sign", "digital signature"];

/// This cluster's `cacerts` Certificate, when the config asks for one and the cluster runs
/// istiod (a remote cluster's workloads are signed by their primary's istiod).
pub fn certificate(mesh: &Mesh) -> Option<Generated> {
    let trust = mesh.spec.trust.cert_manager.as_ref()?;
    if mesh.cluster().role != Role::Primary {
        return None;
    }
    Some(Generated { value: certificate_value(mesh, trust), file: "trust" })
}

fn certificate_value(mesh: &Mesh, trust: &CertManagerTrust) -> Value {
    let cluster = mesh.cluster();
    let issuer = &trust.issuer_ref;
    // Names are at most 63 characters (config validation), under X.509's 64 for these.
    let mut spec = json!({
        "secretName": SECRET_NAME,
        "isCA": true,
        "commonName": cluster.name,
        "subject": {"organizations": ["Istio"], "organizationalUnits": [mesh.spec.mesh_id]},
        "usages": USAGES,
    });
    if let Some(duration) = &trust.duration {
        spec["duration"] = json!(duration);
    }
    if let Some(renew_before) = &trust.renew_before {
        spec["renewBefore"] = json!(renew_before);
    }
    // A fresh key at every renewal (cert-manager's default only since v1.18).
    let mut private_key = json!({"rotationPolicy": "Always"});
    if let Some(key) = &trust.private_key {
        if let Some(algorithm) = key.algorithm {
            private_key["algorithm"] = json!(algorithm.as_str());
        }
        if let Some(size) = key.size {
            private_key["size"] = json!(size);
        }
    }
    spec["privateKey"] = private_key;
    spec["issuerRef"] = json!({"name": issuer.name, "kind": issuer.kind, "group": issuer.group});
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": SECRET_NAME, "namespace": mesh.spec.istio_namespace},
        "spec": spec,
    })
}
