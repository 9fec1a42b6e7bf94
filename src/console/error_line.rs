//! The one line a refused request becomes on the console's stderr.

use anyhow::anyhow;

use crate::error::ApiError;

/// One line naming the fields at fault, for the console's stderr.
pub(super) fn describe(err: ApiError) -> anyhow::Error {
    match err {
        ApiError::Validation(errors) => anyhow!(
            "{}",
            errors
                .iter()
                .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow!("{other}"),
    }
}
