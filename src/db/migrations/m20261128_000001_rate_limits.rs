//! `rate_limits`: request counters per (endpoint, client address) and
//! minute, kept in the database because every node is stateless.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000001_rate_limits"
    }
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Bucket,
    WindowStart,
    Hits,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    // "name:address": an IPv6 address fits well within 128.
                    .col(string_len(RateLimits::Bucket, 128).primary_key())
                    .col(date_time(RateLimits::WindowStart))
                    .col(integer(RateLimits::Hits))
                    .to_owned(),
            )
            .await?;
        // Purging old windows scans by time.
        manager
            .create_index(
                Index::create()
                    .name("rate_limits_window_start_index")
                    .table(RateLimits::Table)
                    .col(RateLimits::WindowStart)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimits::Table).to_owned())
            .await
    }
}
