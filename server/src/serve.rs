//! `steward serve`: start-up in a fixed order (logging, data folder, secret key, database,
//! first-run setup, listener), then serve until SIGTERM or SIGINT and shut down gracefully.

use crate::config::{Config, LogFormat};
use anyhow::Context;
use leptos::config::get_configuration;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use steward_app::server::{PortalState, SetupGate, TenantInfo};

pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::builder()
        .parse(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub fn ensure_data_dir(config: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {} (STEWARD_DATA_DIR); check the path and its permissions",
            config.data_dir.display()
        )
    })
}

pub async fn run(config: Config, warnings: Vec<String>) -> anyhow::Result<()> {
    init_tracing(&config);
    for w in warnings {
        tracing::warn!("{w}");
    }
    tracing::info!(config = ?config, "starting Steward {}", env!("CARGO_PKG_VERSION"));

    ensure_data_dir(&config)?;
    let key_path = config.secret_key_path();
    let (key, generated) = crate::secret_key::load(&key_path, config.secret_key_file.is_none())?;
    if generated {
        tracing::warn!(
            path = %key_path.display(),
            "generated a new secret key; back it up: stored credentials cannot be decrypted without it. \
             Set STEWARD_SECRET_KEY_FILE to keep it outside the data folder"
        );
    }
    tracing::info!(fingerprint = %key.fingerprint(), "secret key loaded");

    let store = steward_store::open(&config.database_url).await?;
    tracing::info!(database = %steward_store::redact_url(&config.database_url), "database ready");

    let setup = SetupGate::default();
    if store.count_admins().await? == 0 {
        let token = setup.arm();
        tracing::warn!(
            "no administrator exists yet. Create one at {}/setup?token={token} \
             or with `steward admin create --email EMAIL`",
            config.public_url
        );
    }

    let mut leptos_options = get_configuration(None)
        .context("cannot read the Leptos site settings (LEPTOS_* variables)")?
        .leptos_options;
    leptos_options.site_addr = config.listen;
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "steward".into();
    }

    let secrets = Arc::new(steward_app::server::secrets::Sealer::new(key.bytes()));
    let gallery = Arc::new(
        steward_gallery::Gallery::builtin()
            .context("the built-in application gallery does not load")?,
    );
    let engine_host = Arc::new(steward_app::server::provisioning::EngineHost::new(
        store.clone(),
        secrets.clone(),
        gallery.clone(),
    ));
    let engine = steward_engine::Engine::new(
        store.clone(),
        engine_host.clone(),
        steward_engine::EngineOptions {
            lease: Duration::from_secs(config.job_lease_seconds),
            portal_url: config.public_url.clone(),
            ..steward_engine::EngineOptions::default()
        },
    );
    let mail = steward_mail::Sender::new(
        store.clone(),
        Arc::new(steward_app::server::notifications::SmtpSettingsSource::new(
            store.clone(),
            secrets.clone(),
            &config.public_url,
        )),
        steward_mail::SenderOptions {
            owner: engine.options.owner.clone(),
            ..steward_mail::SenderOptions::default()
        },
    );
    let state = PortalState {
        leptos_options,
        store: store.clone(),
        setup,
        info: Arc::new(TenantInfo {
            public_url: config.public_url.clone(),
            database: steward_store::redact_url(&config.database_url),
            data_dir: config.data_dir.display().to_string(),
            secure_cookies: config.public_url.starts_with("https://"),
            log_retention_days: config.log_retention_days,
        }),
        imports: Default::default(),
        schemas: Default::default(),
        secrets,
        gallery,
        engine: engine.clone(),
        engine_host,
        mail: mail.clone(),
    };
    state
        .schemas
        .reload(store.as_ref())
        .await
        .context("cannot read the custom attribute definitions")?;
    let retention = tokio::spawn(steward_app::server::logs::retention_job(
        state.clone(),
        Duration::from_secs(3600),
    ));
    let app = crate::router::build(state);
    let shutdown = shutdown_signal()?;

    let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                "another process is using this port; stop it or set STEWARD_LISTEN to another address"
            }
            std::io::ErrorKind::PermissionDenied => "ports below 1024 need privileges; use a higher port",
            std::io::ErrorKind::AddrNotAvailable => "this machine has no such address",
            _ => "check STEWARD_LISTEN",
        };
        anyhow::anyhow!("cannot listen on {}: {e}; {hint}", config.listen)
    })?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "Steward is listening on http://{local}");

    let housekeeping = tokio::spawn(housekeeping(store));
    let engine_task = engine.start();
    let mail_task = mail.start();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the HTTP server failed")?;
    housekeeping.abort();
    retention.abort();
    engine.shutdown();
    mail.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(10), engine_task).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), mail_task).await;
    tracing::info!("Steward stopped");
    Ok(())
}

/// How long soft-deleted users stay restorable.
const RECYCLE_BIN_RETENTION_DAYS: i64 = 30;

/// Every ten minutes: removes expired sessions and old sign-in failures, and empties the
/// recycle bin of users deleted more than the retention period ago.
async fn housekeeping(store: Arc<dyn steward_store::Store>) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = chrono::Utc::now();
        match store.delete_expired_sessions(now).await {
            Ok(n) if n > 0 => tracing::debug!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
        if let Err(e) = store
            .prune_sign_in_failures(now - chrono::Duration::days(1))
            .await
        {
            tracing::warn!(error = %e, "could not prune old sign-in failures");
        }
        let cutoff = now - chrono::Duration::days(RECYCLE_BIN_RETENTION_DAYS);
        match store.purge_recycle_bin(cutoff).await {
            Ok(n) if n > 0 => {
                tracing::info!(
                    purged = n,
                    "recycle bin: users deleted for good after retention"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not empty the recycle bin"),
        }
    }
}

/// Installs the SIGTERM and SIGINT handlers now, so a signal that arrives right after start-up
/// is a graceful shutdown and not the default "terminate at once", and returns the future
/// that completes on the first of them.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate =
        signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
    let mut interrupt =
        signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, finishing open requests"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, finishing open requests"),
        }
    })
}
