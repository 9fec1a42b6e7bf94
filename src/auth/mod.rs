//! Authentication of API requests (docs/api.md, "Authentication"): `From` names the account,
//! then an API key or a Digest answer proves it.
//!
//! Restricted routes are wrapped in [`require_user`] or [`require_admin`],
//! which store the [`AuthAccount`] for the [`AuthUser`] and [`AdminUser`]
//! extractors and add the Digest challenge to the response.

pub mod api_key;
pub mod auth_token;
pub mod digest;
mod guards;
pub mod nonces;
pub mod passwords;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime};

use crate::db::accounts::{AccountView, PendingEmail};
use crate::db::auth_record;
use crate::db::entities::{account, password};
use crate::error::{ApiError, ApiResult};
use crate::guess_throttle;
use crate::metrics::AuthFailure;
use crate::secrets;
use crate::sip::SipAddress;
use crate::state::AppState;
use digest::{Algorithm, Credentials};
pub use guards::{AdminUser, AuthUser};
use nonces::NonceCheck;

/// The authenticated account of a request.
#[derive(Clone, Debug)]
pub struct AuthAccount {
    pub account: account::Model,
    pub admin: bool,
    /// Algorithms of the stored passwords, in storage order.
    pub algorithms: Vec<String>,
    pub confirmation_key_expires: Option<NaiveDateTime>,
    pub email_changed: Option<PendingEmail>,
}

impl AuthAccount {
    /// The account's view as authentication read it: what
    /// `GET /api/accounts/me` shows when the request changed nothing.
    pub fn into_view(self) -> AccountView {
        AccountView {
            account: self.account,
            algorithms: self.algorithms,
            admin: self.admin,
            confirmation_key_expires: self.confirmation_key_expires,
            email_changed: self.email_changed,
        }
    }
}

/// Middleware for routes of any activated account.
pub async fn require_user(State(state): State<AppState>, req: Request, next: Next) -> Response {
    guard(state, req, next, false).await
}

/// Middleware for admin routes.
pub async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    guard(state, req, next, true).await
}

async fn guard(state: AppState, mut req: Request, next: Next, admin_only: bool) -> Response {
    let target = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let authenticated =
        match authenticate(&state, req.headers(), peer, req.method().as_str(), &target).await {
            Ok(authenticated) => authenticated,
            Err(err) => return err.into_response(),
        };
    if admin_only && !authenticated.account.admin {
        return ApiError::Forbidden("Unauthorized area".into()).into_response();
    }
    if admin_only {
        req.extensions_mut().insert(guards::AdminChecked);
    }
    req.extensions_mut().insert(authenticated.account);
    let mut response = next.run(req).await;
    for challenge in authenticated
        .challenges
        .iter()
        .filter_map(|c| HeaderValue::from_str(c).ok())
    {
        response
            .headers_mut()
            .append(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

struct Authenticated {
    account: AuthAccount,
    /// The challenges to send back after a Digest success: the same nonce,
    /// one per algorithm the account can use (docs/api.md, "Authentication").
    challenges: Vec<String>,
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    method: &str,
    target: &str,
) -> ApiResult<Authenticated> {
    let from = headers
        .get("from")
        .ok_or_else(|| ApiError::field("from", "The from header is required."))?;
    let address = from
        .to_str()
        .ok()
        .and_then(SipAddress::parse_from_header)
        .ok_or_else(|| ApiError::field("from", "The from header must be a SIP address."))?;
    let Some(record) = auth_record::find(&state.db, &address.username, &address.domain).await?
    else {
        state.metrics.auth_failure(AuthFailure::UnknownAccount);
        return Err(ApiError::NotFound("Account not found".into()));
    };
    let auth_record::AuthRecord {
        account,
        admin,
        api_key,
        passwords,
        confirmation_key_expires,
        email_changed,
    } = record;
    // A deactivated account is refused at once, even with a key.
    if !account.is_activated() {
        state.metrics.auth_failure(AuthFailure::Deactivated);
        return Err(unauthorized("Unauthorized", Vec::new()));
    }

    let mut success_challenges = Vec::new();
    if let Some(key) = headers.get("x-api-key") {
        let key = key.to_str().unwrap_or_default();
        let stored = api_key.as_ref();
        if !api_key::matches(stored.map(|k| k.hash.as_str()), key) {
            state.metrics.auth_failure(AuthFailure::BadKey);
            return Err(unauthorized("Unauthorized", Vec::new()));
        }
        if let Some(stored) = stored {
            let now = state.clock.now_naive();
            if api_key::is_expired(stored, now) {
                state.metrics.auth_failure(AuthFailure::BadKey);
                return Err(unauthorized("Unauthorized", Vec::new()));
            }
            api_key::touch(&state.db, stored, now).await?;
        }
    } else if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        // Wrong answers are throttled (crate::guess_throttle): refused
        // before the check, from memory, so a success costs no query.
        let client = peer
            .map(|ip| crate::client_address::client_ip(ip, headers, &state.config.trusted_proxies));
        if let Some(refusal) = guess_throttle::digest_refusal(
            &state.throttled,
            state.clock.now_naive(),
            account.id,
            client,
        ) {
            return Err(refusal);
        }
        let credentials = authorization.to_str().ok().and_then(Credentials::parse);
        let outcome = match &credentials {
            Some(c) => verify_digest(state, &account, &passwords, c, method, target).await?,
            None => Err(AuthFailure::WrongResponse),
        };
        match (outcome, credentials) {
            (Ok(()), Some(c)) => {
                let realm = state.config.realm_for(&account.domain);
                success_challenges = offered_algorithms(&passwords)
                    .into_iter()
                    .map(|algorithm| {
                        digest::challenge(realm, algorithm, &c.nonce, &state.digest_opaque)
                    })
                    .collect();
            }
            (outcome, _) => {
                let failure = outcome.err().unwrap_or(AuthFailure::WrongResponse);
                state.metrics.auth_failure(failure);
                if failure == AuthFailure::WrongResponse {
                    guess_throttle::digest_wrong(
                        &state.db,
                        &state.throttled,
                        state.clock.now_naive(),
                        account.id,
                        client,
                    )
                    .await?;
                }
                let challenges = challenges(state, &account, &passwords).await?;
                return Err(unauthorized(digest_refusal(failure), challenges));
            }
        }
    } else {
        let challenges = challenges(state, &account, &passwords).await?;
        return Err(unauthorized("Unauthenticated request", challenges));
    }
    // As PHP FlexiAPI's CheckBlocked: a blocked account is told so, but only
    // once its credentials are proven (a stranger learns nothing).
    if account.blocked {
        state.metrics.auth_failure(AuthFailure::Blocked);
        return Err(ApiError::Forbidden("Account blocked".into()));
    }

    Ok(Authenticated {
        account: AuthAccount {
            account,
            admin: state.config.everyone_is_admin || admin,
            algorithms: passwords.into_iter().map(|p| p.algorithm).collect(),
            confirmation_key_expires,
            email_changed,
        },
        challenges: success_challenges,
    })
}

/// The 401 message of a refused Digest answer (docs/api.md, "Authentication").
fn digest_refusal(failure: AuthFailure) -> &'static str {
    match failure {
        AuthFailure::InvalidNonce => "Nonce invalid",
        AuthFailure::ReplayedNonce => "Nonce replayed",
        _ => "Unauthorized",
    }
}

fn unauthorized(message: &'static str, challenges: Vec<String>) -> ApiError {
    ApiError::Unauthorized {
        message,
        challenges,
    }
}

async fn verify_digest(
    state: &AppState,
    account: &account::Model,
    passwords: &[password::Model],
    credentials: &Credentials,
    method: &str,
    target: &str,
) -> ApiResult<Result<(), AuthFailure>> {
    // The inner error says why the answer is refused.
    let realm = state.config.realm_for(&account.domain);
    let well_formed = credentials.username == account.username
        && credentials.realm == realm
        && credentials.uri == target
        && credentials.qop == "auth"
        && credentials
            .opaque
            .as_deref()
            .is_none_or(|o| secrets::constant_time_eq(o, &state.digest_opaque));
    if !well_formed {
        return Ok(Err(AuthFailure::WrongResponse));
    }
    let matches = passwords.iter().any(|stored| {
        stored_ha1(stored, credentials.algorithm, &account.username, realm).is_some_and(|ha1| {
            secrets::constant_time_eq(
                &credentials.expected_response(&ha1, method),
                &credentials.response,
            )
        })
    });
    if !matches {
        return Ok(Err(AuthFailure::WrongResponse));
    }
    let lifetime = Duration::minutes(state.config.nonce_lifetime_minutes);
    let check = nonces::consume(
        &state.db,
        account.id,
        &credentials.nonce,
        credentials.nc_value(),
        state.clock.now_naive(),
        lifetime,
    )
    .await?;
    Ok(match check {
        NonceCheck::Accepted => Ok(()),
        NonceCheck::Invalid => Err(AuthFailure::InvalidNonce),
        NonceCheck::Replayed => Err(AuthFailure::ReplayedNonce),
    })
}

/// The HA1 of a stored password for `algorithm`, if it can serve it.
fn stored_ha1(
    stored: &password::Model,
    algorithm: Algorithm,
    username: &str,
    realm: &str,
) -> Option<String> {
    if stored.algorithm == "CLRTXT" {
        return Some(algorithm.ha1(username, realm, &stored.password));
    }
    (Algorithm::parse(&stored.algorithm)? == algorithm)
        .then(|| stored.password.to_ascii_lowercase())
}

/// Algorithms the account can answer, in the order of its passwords.
pub fn offered_algorithms(passwords: &[password::Model]) -> Vec<Algorithm> {
    let mut offered = Vec::new();
    for stored in passwords {
        let algorithms: &[Algorithm] = match stored.algorithm.as_str() {
            "CLRTXT" => &[Algorithm::Md5, Algorithm::Sha256],
            "MD5" => &[Algorithm::Md5],
            "SHA-256" => &[Algorithm::Sha256],
            _ => &[],
        };
        for algorithm in algorithms {
            if !offered.contains(algorithm) {
                offered.push(*algorithm);
            }
        }
    }
    offered
}

/// Fresh challenges (one new nonce) for every algorithm the account can use.
async fn challenges(
    state: &AppState,
    account: &account::Model,
    passwords: &[password::Model],
) -> ApiResult<Vec<String>> {
    let offered = offered_algorithms(passwords);
    if offered.is_empty() {
        return Ok(Vec::new());
    }
    let nonce = nonces::issue(
        &state.db,
        account.id,
        state.clock.now_naive(),
        Duration::minutes(state.config.nonce_lifetime_minutes),
    )
    .await?;
    let realm = state.config.realm_for(&account.domain);
    Ok(offered
        .into_iter()
        .map(|algorithm| digest::challenge(realm, algorithm, &nonce, &state.digest_opaque))
        .collect())
}
