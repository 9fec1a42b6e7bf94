//! Values the service keeps for itself in `app_settings`.

use base64::Engine;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use super::entities::app_setting;
use crate::secrets;

const APP_KEY: &str = "app_key";

/// The server secret: `APP_KEY` when configured, else one generated on the
/// first start and kept in the database, so every node shares it.
pub async fn app_key(db: &DatabaseConnection, configured: Option<&str>) -> anyhow::Result<Vec<u8>> {
    if let Some(key) = configured {
        return Ok(key.as_bytes().to_vec());
    }
    if let Some(row) = app_setting::Entity::find_by_id(APP_KEY).one(db).await? {
        return Ok(row.value.into_bytes());
    }
    let generated = format!(
        "base64:{}",
        base64::engine::general_purpose::STANDARD.encode(secrets::random_bytes::<32>())
    );
    let insert = app_setting::ActiveModel {
        name: Set(APP_KEY.to_string()),
        value: Set(generated.clone()),
    }
    .insert(db)
    .await;
    match insert {
        Ok(_) => Ok(generated.into_bytes()),
        // Another node stored its key first: use that one.
        Err(err) if super::is_unique_violation(&err) => {
            let row = app_setting::Entity::find_by_id(APP_KEY)
                .one(db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("app key vanished"))?;
            Ok(row.value.into_bytes())
        }
        Err(err) => Err(err.into()),
    }
}
