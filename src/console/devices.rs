//! Console: `flexiapi devices list SIP_ADDRESS`, the API's device list for
//! operators.

use anyhow::bail;
use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Config;
use crate::registrar::{Registrar, devices_object};

#[derive(Subcommand, Debug)]
pub enum DevicesCommand {
    /// Print the devices registered for an address, as the API's JSON object.
    List {
        /// `user@domain` or `sip:user@domain`.
        sip_address: String,
    },
}

pub async fn run(command: DevicesCommand, config: &Config, clock: &Clock) -> anyhow::Result<()> {
    match command {
        DevicesCommand::List { sip_address } => {
            let (username, domain) = parse_sip_address(&sip_address)?;
            let registrar = Registrar::from_config(config)?;
            let devices = registrar
                .devices(username, domain, clock.now().timestamp())
                .await?;
            println!("{}", serde_json::Value::Object(devices_object(&devices)));
            Ok(())
        }
    }
}

/// Splits `user@domain` or `sip:user@domain` into its two parts.
pub fn parse_sip_address(address: &str) -> anyhow::Result<(&str, &str)> {
    let bare = address.strip_prefix("sip:").unwrap_or(address);
    let parts = bare.split_once('@').filter(|(user, domain)| {
        let ok = |s: &str| {
            !s.is_empty()
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "\"'<>@;?:\\/".contains(c))
        };
        ok(user) && ok(domain)
    });
    match parts {
        Some(parts) => Ok(parts),
        None => bail!("invalid SIP address {address:?}: expected user@domain or sip:user@domain"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_or_without_scheme() {
        assert_eq!(
            parse_sip_address("alice@sip.example.org").unwrap(),
            ("alice", "sip.example.org")
        );
        assert_eq!(
            parse_sip_address("sip:+3361234@sip.example.org").unwrap(),
            ("+3361234", "sip.example.org")
        );
        for bad in [
            "alice",
            "@sip.example.org",
            "alice@",
            "sip:alice@a@b",
            "sips:alice@b",
            "alice @b",
            "<sip:alice@b>",
            "alice@b;transport=tls",
            "alice@b\n",
        ] {
            assert!(parse_sip_address(bad).is_err(), "{bad:?}");
        }
    }
}
