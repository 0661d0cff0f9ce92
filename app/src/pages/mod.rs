//! One module per page of the portal.

mod audit_logs;
mod custom_attributes;
mod custom_fields;
mod expression_builder;
mod group_detail;
mod group_new;
mod groups;
mod import;
mod not_found;
mod overview;
mod placeholders;
mod scim_tokens;
mod settings;
mod setup;
mod sign_in;
mod user_detail;
mod user_edit;
mod user_new;
mod users;

pub use audit_logs::AuditLogsPage;
pub use custom_attributes::CustomAttributesPage;
pub use expression_builder::ExpressionBuilderPage;
pub use group_detail::GroupDetailPage;
pub use group_new::NewGroupPage;
pub use groups::GroupsPage;
pub use import::{ImportPage, ImportPreviewPage};
pub use not_found::NotFoundPage;
pub use overview::OverviewPage;
pub use placeholders::{ApplicationsPage, ProvisioningLogsPage};
pub use settings::SettingsPage;
pub use setup::SetupPage;
pub use sign_in::SignInPage;
pub use user_detail::UserDetailPage;
pub use user_edit::EditUserPage;
pub use user_new::NewUserPage;
pub use users::UsersPage;
