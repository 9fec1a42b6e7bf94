//! Who is calling: the client's address and user agent, recorded on the
//! accounts it creates (behind trusted proxies, from `X-Forwarded-For`).

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;

use crate::client_address::client_ip;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let ip = client_ip(peer, &parts.headers, &state.config.trusted_proxies);
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(255).collect());
        Ok(Client { ip, user_agent })
    }
}
