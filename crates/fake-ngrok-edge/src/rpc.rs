//! The agent → edge RPCs (Auth, Bind, Unbind, labeled Bind): decide the answer
//! from the edge state and write it back in the shape ngrok-rs 0.19 deserializes.

use std::time::Duration;

use muxado::typed::{StreamType, TypedStream};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::{
    codes,
    options::EdgeOptions,
    state::{AuthRecord, BoundTunnel, EdgeEvent, Shared, State, random_hex},
    wire::{
        self, AUTH_REQ, Auth, AuthResp, AuthRespExtra, BIND_LABELED_REQ, BIND_REQ, Bind, BindResp,
        BindRespExtra, UNBIND_REQ, Unbind,
    },
};

/// Serves one RPC stream opened by the agent: read the request, answer, half-close.
pub(crate) async fn serve(shared: &Shared, conn: u64, typ: StreamType, mut stream: TypedStream) {
    let Ok(request) = wire::read_json(&mut *stream).await else {
        return;
    };
    let response = match typ {
        AUTH_REQ => auth(shared, conn, request),
        BIND_REQ => bind(shared, conn, request),
        UNBIND_REQ => unbind(shared, conn, request),
        BIND_LABELED_REQ => {
            wire::error_body("the fake ngrok edge does not support labeled tunnels", None)
        }
        other => wire::error_body(
            &format!("the fake ngrok edge does not handle stream type {other}"),
            None,
        ),
    };
    let Ok(bytes) = serde_json::to_vec(&response) else {
        return;
    };
    // The agent reads to EOF, so the FIN after the body is part of the answer.
    if stream.write_all(&bytes).await.is_ok() {
        let _ = stream.shutdown().await;
    }
}

fn auth(shared: &Shared, conn: u64, request: Value) -> Value {
    let req: Auth = serde_json::from_value(request).unwrap_or_default();
    shared.update(|st| {
        st.auth_attempts += 1;
        st.auths.push(AuthRecord {
            conn,
            authtoken: req.extra.auth_token.clone(),
            client_id: req.client_id.clone(),
            versions: req.version.clone(),
            client_type: req.extra.client_type.clone(),
            client_version: req.extra.version.clone(),
            user_agent: req.extra.user_agent.clone(),
            metadata: req.extra.metadata.clone(),
            heartbeat_interval: nanos(req.extra.heartbeat_interval),
            heartbeat_tolerance: nanos(req.extra.heartbeat_tolerance),
        });
        match check_auth(st, &req) {
            Ok(()) => {
                let resumed = !req.client_id.is_empty();
                let session_id = if resumed {
                    req.client_id.clone()
                } else {
                    random_hex(32)
                };
                if let Some(c) = st.conns.get_mut(&conn) {
                    c.session_id = Some(session_id.clone());
                }
                st.events.push(EdgeEvent::AuthAccepted {
                    conn,
                    session_id: session_id.clone(),
                    resumed,
                });
                let version = if req.version.iter().any(|v| v == "3") {
                    "3"
                } else {
                    "2"
                };
                json(&AuthResp {
                    version: version.to_string(),
                    client_id: session_id,
                    extra: AuthRespExtra {
                        version: Some(format!("fake-ngrok-edge/{}", env!("CARGO_PKG_VERSION"))),
                        region: Some("us".to_string()),
                        cookie: Some(random_hex(24)),
                        account_name: Some(st.opts.account_name.clone()),
                        session_duration: Some(0),
                        plan_name: Some("Free".to_string()),
                        banner: None,
                    },
                    error: String::new(),
                })
            }
            Err((code, message)) => {
                st.events.push(EdgeEvent::AuthRejected {
                    conn,
                    code: code.to_string(),
                });
                json(&AuthResp {
                    error: wire::error_text(&message, Some(code)),
                    ..AuthResp::default()
                })
            }
        }
    })
}

fn check_auth(st: &State, req: &Auth) -> Result<(), (&'static str, String)> {
    let token = req.extra.auth_token.as_str();
    if token.is_empty() {
        return Err((codes::AUTHTOKEN_REQUIRED, codes::authtoken_required()));
    }
    if st.reject_all_auth {
        return Err((codes::AUTHTOKEN_INVALID, codes::authtoken_invalid(token)));
    }
    if !st.opts.authtokens.iter().any(|t| t == token) {
        return Err(if token.contains('_') {
            (codes::AUTHTOKEN_INVALID, codes::authtoken_invalid(token))
        } else {
            (
                codes::AUTHTOKEN_MALFORMED,
                codes::authtoken_malformed(token),
            )
        });
    }
    if st.other_agent_online {
        return Err((
            codes::SESSION_LIMIT,
            codes::session_limit(st.opts.max_sessions.unwrap_or(1)),
        ));
    }
    if let Some(max) = st.opts.max_sessions
        && st.live_sessions() >= max
    {
        return Err((codes::SESSION_LIMIT, codes::session_limit(max)));
    }
    Ok(())
}

fn bind(shared: &Shared, conn: u64, request: Value) -> Value {
    let req: Bind = match serde_json::from_value(request) {
        Ok(req) => req,
        Err(e) => return wire::error_body(&format!("invalid Bind request: {e}"), None),
    };
    shared.update(|st| match decide_bind(st, conn, &req) {
        Ok(tunnel) => {
            let rebind = !req.client_id.is_empty();
            st.events.push(EdgeEvent::Bound {
                conn,
                tunnel_id: tunnel.id.clone(),
                url: tunnel.url.clone(),
                rebind,
            });
            st.assigned.insert(tunnel.id.clone(), tunnel.url.clone());
            st.tunnels.insert(tunnel.id.clone(), tunnel.clone());
            json(&BindResp {
                client_id: tunnel.id,
                url: tunnel.url,
                proto: tunnel.proto,
                opts: req.opts.clone(),
                extra: BindRespExtra {
                    token: random_hex(16),
                },
            })
        }
        Err((code, message)) => {
            st.events.push(EdgeEvent::BindRejected {
                conn,
                code: code.map(str::to_string),
            });
            wire::error_body(&message, code)
        }
    })
}

type BindError = (Option<&'static str>, String);

fn decide_bind(st: &State, conn: u64, req: &Bind) -> Result<BoundTunnel, BindError> {
    let Some(session_id) = st.conns.get(&conn).and_then(|c| c.session_id.clone()) else {
        return Err((None, "the session is not authenticated".to_string()));
    };
    let proto = req.proto.as_str();
    if proto != "https" && proto != "http" {
        return Err((
            None,
            format!("the fake ngrok edge only binds http/https endpoints, not {proto:?}"),
        ));
    }
    let id = if req.client_id.is_empty() {
        format!("tn_{}", random_hex(27))
    } else {
        req.client_id.clone()
    };
    let url = match requested_domain(&req.opts, &st.opts.random_domain_suffix) {
        Some(domain) => {
            let opts = &st.opts;
            if opts
                .foreign_domains
                .iter()
                .any(|p| EdgeOptions::domain_matches(p, &domain))
            {
                return Err((
                    Some(codes::DOMAIN_RESERVED_ELSEWHERE),
                    codes::domain_reserved_elsewhere(&domain, &opts.account_name),
                ));
            }
            let is_dev = opts
                .dev_domain
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(&domain));
            if !is_dev
                && !opts
                    .allowed_domains
                    .iter()
                    .any(|p| EdgeOptions::domain_matches(p, &domain))
            {
                return Err((
                    Some(codes::DOMAIN_NOT_RESERVED),
                    codes::domain_not_reserved(&domain, &opts.account_name),
                ));
            }
            format!("{proto}://{domain}")
        }
        None => match (st.assigned.get(&id), &st.opts.dev_domain) {
            (Some(url), _) => url.clone(),
            (None, Some(dev)) => format!("{proto}://{dev}"),
            (None, None) => format!(
                "{proto}://{}.{}",
                random_hex(12),
                st.opts.random_domain_suffix
            ),
        },
    };
    let clash = st.tunnels.values().any(|t| {
        t.id != id && t.url.eq_ignore_ascii_case(&url) && !(t.pooling && req.extra.pooling_enabled)
    });
    if clash {
        return Err((
            Some(codes::ENDPOINT_ALREADY_ONLINE),
            codes::endpoint_already_online(&url),
        ));
    }
    Ok(BoundTunnel {
        id,
        url,
        proto: proto.to_string(),
        conn,
        session_id,
        forwards_to: req.forwards_to.clone(),
        metadata: req.extra.metadata.clone(),
        pooling: req.extra.pooling_enabled,
        traffic_policy: req
            .opts
            .get("TrafficPolicy")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// `Opts.Domain`, else the deprecated `Opts.Hostname`, else `Opts.Subdomain` under the random suffix.
fn requested_domain(opts: &Value, suffix: &str) -> Option<String> {
    let field = |name: &str| {
        opts.get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    field("Domain")
        .or_else(|| field("Hostname"))
        .map(str::to_string)
        .or_else(|| field("Subdomain").map(|sub| format!("{sub}.{suffix}")))
}

fn unbind(shared: &Shared, conn: u64, request: Value) -> Value {
    let req: Unbind = serde_json::from_value(request).unwrap_or_default();
    shared.update(|st| {
        if st
            .tunnels
            .get(&req.client_id)
            .is_some_and(|t| t.conn == conn)
        {
            st.tunnels.remove(&req.client_id);
            st.events.push(EdgeEvent::Unbound {
                conn,
                tunnel_id: req.client_id,
            });
        }
    });
    serde_json::json!({})
}

fn nanos(n: i64) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or_default())
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
