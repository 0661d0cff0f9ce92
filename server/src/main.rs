//! `steward`: serves the portal and API, and administers an installation from the command
//! line. Start-up problems (bad configuration, a database that cannot be opened, a port in
//! use) are reported as one clear message and a non-zero exit, never a panic.

#![recursion_limit = "256"]

mod admin_cli;
mod api_v1;
mod config;
mod expr_cli;
mod router;
mod scim;
mod secret_key;
mod serve;
mod token_cli;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use steward_app::server::tokens::TokenKind;

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Steward identity provisioning: portal, API and provisioning engine"
)]
struct Cli {
    /// A TOML configuration file; STEWARD_* environment variables override its values.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Show the effective configuration (secrets redacted), or what is wrong with it.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Try attribute-mapping expressions.
    Expr {
        #[command(subcommand)]
        command: ExprCommand,
    },
    /// Try scoping filters.
    Scope {
        #[command(subcommand)]
        command: ScopeCommand,
    },
    /// Manage bearer tokens for the inbound SCIM endpoint (/scim/v2).
    ScimToken {
        #[command(subcommand)]
        command: ScimTokenCommand,
    },
    /// Manage admin API tokens for the REST API (/api/v1).
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
}

#[derive(Subcommand)]
enum ScimTokenCommand {
    /// Create a token and print it once (only its hash is kept).
    Create {
        /// What the token is for, e.g. "Workday"; unique among live tokens.
        #[arg(long)]
        name: String,
    },
    /// List tokens: name, prefix, created, last used, revoked.
    List,
    /// Revoke a token by name; clients using it are refused from the next request.
    Revoke(RevokeArgs),
}

#[derive(Subcommand)]
enum ApiTokenCommand {
    /// Create a token acting with an admin role and print it once (only its hash is kept).
    Create {
        /// What the token is for, e.g. "Terraform"; unique among live tokens.
        #[arg(long)]
        name: String,
        /// The role the token acts with: global_administrator (Global Administrator).
        #[arg(long, value_parser = token_cli::parse_role)]
        role: steward_store::Role,
    },
    /// List tokens: name, role, prefix, created, last used, revoked.
    List,
    /// Revoke a token by name; clients using it are refused from the next request.
    Revoke(RevokeArgs),
}

#[derive(Args)]
struct RevokeArgs {
    /// The token's name.
    #[arg(
        value_name = "NAME",
        required_unless_present = "name_option",
        conflicts_with = "name_option"
    )]
    name: Option<String>,
    /// The token's name, as an option.
    #[arg(long = "name", id = "name_option", value_name = "NAME")]
    name_option: Option<String>,
}

impl RevokeArgs {
    fn name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.name_option.as_deref())
            .unwrap_or_default()
    }
}

#[derive(Subcommand)]
enum ExprCommand {
    /// Evaluate an expression against sample attributes and print the result as JSON.
    Eval {
        /// The expression, e.g. 'Join(".", [givenName], [surname])'.
        expression: String,
        /// The attributes as a JSON object, or @FILE.
        #[arg(long, default_value = "{}")]
        attrs: String,
        /// The time Now() returns (RFC 3339); default the current time.
        #[arg(long)]
        now: Option<String>,
        /// Seed for Guid() and RandomString(), for repeatable output.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum ScopeCommand {
    /// Evaluate scoping filters (a JSON file) against sample attributes; prints the verdict
    /// and how each clause fared.
    Eval {
        /// A JSON list of scoping filters: [{"clauses": [{"attribute", "operator", "value"}]}].
        filters: String,
        /// The attributes as a JSON object, or @FILE.
        #[arg(long)]
        attrs: String,
        /// Print the verdict and trace as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator with the Global Administrator role.
    Create {
        #[arg(long)]
        email: String,
        /// The name shown in the portal; defaults to the part of the email before the @.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an administrator, signing them out everywhere.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print it as TOML.
    Check,
}

/// Exit status for configuration errors, distinct from runtime failures (1).
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The expression tools are pure: no configuration, no database, no runtime.
    let pure = match &cli.command {
        Some(Command::Expr {
            command:
                ExprCommand::Eval {
                    expression,
                    attrs,
                    now,
                    seed,
                },
        }) => Some(expr_cli::expr_eval(
            expression,
            attrs,
            now.as_deref(),
            *seed,
        )),
        Some(Command::Scope {
            command:
                ScopeCommand::Eval {
                    filters,
                    attrs,
                    json,
                },
        }) => Some(expr_cli::scope_eval(filters, attrs, *json)),
        _ => None,
    };
    if let Some(result) = pure {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let message = format!("{e:#}");
                if message.starts_with("error[") {
                    eprintln!("{message}");
                } else {
                    eprintln!("error: {message}");
                }
                ExitCode::FAILURE
            }
        };
    }
    let (config, warnings) = match config::Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprintln!("error: {errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => runtime.block_on(serve::run(config, warnings)),
        Command::Admin { command } => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            match command {
                AdminCommand::Create {
                    email,
                    name,
                    password_stdin,
                } => runtime.block_on(admin_cli::create(
                    &config,
                    &email,
                    name.as_deref(),
                    password_stdin,
                )),
                AdminCommand::ResetPassword {
                    email,
                    password_stdin,
                } => runtime.block_on(admin_cli::reset_password(&config, &email, password_stdin)),
            }
        }
        Command::ScimToken { command } => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            let kind = TokenKind::Scim;
            runtime.block_on(async {
                match command {
                    ScimTokenCommand::Create { name } => {
                        token_cli::create(&config, kind, &name, None).await
                    }
                    ScimTokenCommand::List => token_cli::list(&config, kind).await,
                    ScimTokenCommand::Revoke(args) => {
                        token_cli::revoke(&config, kind, args.name()).await
                    }
                }
            })
        }
        Command::ApiToken { command } => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            let kind = TokenKind::Api;
            runtime.block_on(async {
                match command {
                    ApiTokenCommand::Create { name, role } => {
                        token_cli::create(&config, kind, &name, Some(role)).await
                    }
                    ApiTokenCommand::List => token_cli::list(&config, kind).await,
                    ApiTokenCommand::Revoke(args) => {
                        token_cli::revoke(&config, kind, args.name()).await
                    }
                }
            })
        }
        Command::Expr { .. } | Command::Scope { .. } => Ok(()),
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            print!("{config}");
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
