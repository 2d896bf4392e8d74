//! The first schema: users, virtual keys, the request ledger and guardrail findings.

use sea_orm_migration::prelude::*;

use crate::tables::{GuardrailFindings, Requests, Users, VirtualKeys};

#[derive(Debug, DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users()).await?;
        manager.create_table(virtual_keys()).await?;
        manager.create_table(requests()).await?;
        manager.create_table(guardrail_findings()).await?;
        let indexes = [
            index(
                "idx_requests_created_at",
                Requests::Table,
                &[Requests::CreatedAt],
            ),
            index(
                "idx_requests_key_created",
                Requests::Table,
                &[Requests::KeyId, Requests::CreatedAt],
            ),
            index(
                "idx_requests_user_created",
                Requests::Table,
                &[Requests::UserId, Requests::CreatedAt],
            ),
            index(
                "idx_virtual_keys_user",
                VirtualKeys::Table,
                &[VirtualKeys::UserId],
            ),
            index(
                "idx_virtual_keys_prefix",
                VirtualKeys::Table,
                &[VirtualKeys::Prefix],
            ),
            index(
                "idx_findings_request",
                GuardrailFindings::Table,
                &[GuardrailFindings::RequestId],
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GuardrailFindings::Table.into_iden(),
            Requests::Table.into_iden(),
            VirtualKeys::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

fn index<T: Iden + Copy + 'static, C: Iden + Copy + 'static>(
    name: &str,
    table: T,
    columns: &[C],
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(*column);
    }
    statement.to_owned()
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(Users::Id)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Users::Name).string_len(255).null())
        .col(ColumnDef::new(Users::BudgetUsd).double().null())
        .col(ColumnDef::new(Users::BudgetPeriod).string_len(16).null())
        .col(ColumnDef::new(Users::CreatedAt).big_integer().not_null())
        .to_owned()
}

fn virtual_keys() -> TableCreateStatement {
    Table::create()
        .table(VirtualKeys::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(VirtualKeys::Id)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(VirtualKeys::UserId)
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(VirtualKeys::Name).string_len(255).null())
        .col(
            ColumnDef::new(VirtualKeys::KeyHash)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(
            ColumnDef::new(VirtualKeys::Prefix)
                .string_len(32)
                .not_null(),
        )
        .col(ColumnDef::new(VirtualKeys::Models).text().null())
        .col(ColumnDef::new(VirtualKeys::BudgetUsd).double().null())
        .col(
            ColumnDef::new(VirtualKeys::BudgetPeriod)
                .string_len(16)
                .null(),
        )
        .col(ColumnDef::new(VirtualKeys::Rpm).big_integer().null())
        .col(ColumnDef::new(VirtualKeys::Tpm).big_integer().null())
        .col(
            ColumnDef::new(VirtualKeys::MaxConcurrency)
                .big_integer()
                .null(),
        )
        .col(ColumnDef::new(VirtualKeys::ExpiresAt).big_integer().null())
        .col(ColumnDef::new(VirtualKeys::RevokedAt).big_integer().null())
        .col(
            ColumnDef::new(VirtualKeys::CreatedAt)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(VirtualKeys::RotatedFrom)
                .string_len(64)
                .null(),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_virtual_keys_user")
                .from(VirtualKeys::Table, VirtualKeys::UserId)
                .to(Users::Table, Users::Id),
        )
        .to_owned()
}

fn requests() -> TableCreateStatement {
    Table::create()
        .table(Requests::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(Requests::Id)
                .string_len(32)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Requests::RequestId)
                .string_len(128)
                .not_null(),
        )
        .col(ColumnDef::new(Requests::KeyId).string_len(64).null())
        .col(ColumnDef::new(Requests::UserId).string_len(64).null())
        .col(
            ColumnDef::new(Requests::RequestedModel)
                .string_len(255)
                .not_null(),
        )
        .col(ColumnDef::new(Requests::Provider).string_len(128).null())
        .col(
            ColumnDef::new(Requests::UpstreamModel)
                .string_len(255)
                .null(),
        )
        .col(
            ColumnDef::new(Requests::ClientProtocol)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(Requests::UpstreamProtocol)
                .string_len(32)
                .null(),
        )
        .col(ColumnDef::new(Requests::Status).integer().not_null())
        .col(ColumnDef::new(Requests::Error).text().null())
        .col(
            ColumnDef::new(Requests::InputTokens)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(Requests::CachedInputTokens)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(Requests::CacheWriteTokens)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(Requests::OutputTokens)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(Requests::ReasoningTokens)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(Requests::CostUsd).double().not_null())
        .col(ColumnDef::new(Requests::LatencyMs).big_integer().not_null())
        .col(ColumnDef::new(Requests::TtftMs).big_integer().null())
        .col(ColumnDef::new(Requests::Streamed).boolean().not_null())
        .col(
            ColumnDef::new(Requests::FallbackAttempts)
                .integer()
                .not_null(),
        )
        .col(ColumnDef::new(Requests::Day).string_len(10).not_null())
        .col(ColumnDef::new(Requests::CreatedAt).big_integer().not_null())
        .to_owned()
}

fn guardrail_findings() -> TableCreateStatement {
    Table::create()
        .table(GuardrailFindings::Table)
        .if_not_exists()
        .col(
            ColumnDef::new(GuardrailFindings::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new(GuardrailFindings::RequestId)
                .string_len(128)
                .not_null(),
        )
        .col(
            ColumnDef::new(GuardrailFindings::Rule)
                .string_len(255)
                .not_null(),
        )
        .col(
            ColumnDef::new(GuardrailFindings::Action)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(GuardrailFindings::Direction)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(GuardrailFindings::CreatedAt)
                .big_integer()
                .not_null(),
        )
        .to_owned()
}
