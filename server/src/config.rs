//! Steward's configuration: one typed struct read from an optional TOML file and from
//! `STEWARD_*` environment variables (which win), validated as a whole so that every bad
//! value is reported at once, each naming where it came from.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Address the HTTP server binds; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where Steward keeps its database (by default), secret key and other state.
    pub data_dir: PathBuf,
    /// The database; by default a SQLite file in the data folder.
    pub database_url: String,
    /// The key that encrypts stored credentials. `None`: `secret.key` in the data folder,
    /// generated on first start.
    pub secret_key_file: Option<PathBuf>,
    /// The URL admins reach the portal at, without a trailing slash. Links in logs and
    /// email use it; `https` turns on secure cookies.
    pub public_url: String,
    /// A `tracing` filter, e.g. `info` or `info,steward=debug`.
    pub log: String,
    pub log_format: LogFormat,
    /// How long a provisioning job's lease lasts: after a crash, another process (or this
    /// one restarted) takes the job over once the lease has run out.
    pub job_lease_seconds: u64,
    /// Provisioning log entries older than this many days are deleted.
    pub log_retention_days: u32,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &steward_store::redact_url(&self.database_url),
            )
            .field("secret_key_file", &self.secret_key_file)
            .field("public_url", &self.public_url)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("job_lease_seconds", &self.job_lease_seconds)
            .field("log_retention_days", &self.log_retention_days)
            .finish()
    }
}

impl fmt::Display for Config {
    /// The effective configuration as TOML, secrets redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "listen = {:?}", self.listen.to_string())?;
        writeln!(f, "data_dir = {:?}", self.data_dir.display().to_string())?;
        writeln!(
            f,
            "database_url = {:?}",
            steward_store::redact_url(&self.database_url)
        )?;
        match &self.secret_key_file {
            Some(p) => writeln!(f, "secret_key_file = {:?}", p.display().to_string())?,
            None => writeln!(
                f,
                "# secret_key_file not set: {}",
                self.secret_key_path().display()
            )?,
        }
        writeln!(f, "public_url = {:?}", self.public_url)?;
        writeln!(f, "log = {:?}", self.log)?;
        writeln!(
            f,
            "log_format = {:?}",
            match self.log_format {
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            }
        )?;
        writeln!(f, "job_lease_seconds = {}", self.job_lease_seconds)?;
        writeln!(f, "log_retention_days = {}", self.log_retention_days)
    }
}

impl Config {
    /// Where the secret key is read from (or generated into).
    pub fn secret_key_path(&self) -> PathBuf {
        self.secret_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.key"))
    }

    /// The path of the default SQLite database, when that is what is used.
    pub fn default_database_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("steward.db").display())
    }
}

/// The keys of the TOML file; the environment variable of each is `STEWARD_` + upper case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    secret_key_file: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    job_lease_seconds: Option<u64>,
    log_retention_days: Option<u32>,
}

const KEYS: [&str; 9] = [
    "listen",
    "data_dir",
    "database_url",
    "secret_key_file",
    "public_url",
    "log",
    "log_format",
    "job_lease_seconds",
    "log_retention_days",
];

/// Every problem found, one per line.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration is not valid:")?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        write!(
            f,
            "See server/steward.example.toml for every setting and its default."
        )
    }
}

impl std::error::Error for ConfigErrors {}

/// A value with the place it came from, for error messages.
struct Sourced {
    value: String,
    origin: String,
}

impl Config {
    /// Reads the file (if any) and the environment. `env` is the process environment in
    /// production and a fixed list in tests.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Config, Vec<String>), ConfigErrors> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut values: BTreeMap<&'static str, Sourced> = BTreeMap::new();

        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Err(e) => errors.push(format!(
                    "cannot read the config file {}: {e}",
                    path.display()
                )),
                Ok(text) => match toml::from_str::<FileConfig>(&text) {
                    Err(e) => errors.push(format!(
                        "the config file {} is not valid: {}",
                        path.display(),
                        e.to_string().trim_end()
                    )),
                    Ok(fc) => {
                        let origin = |key: &str| format!("{key} in {}", path.display());
                        for (key, value) in [
                            ("listen", fc.listen),
                            ("data_dir", fc.data_dir),
                            ("database_url", fc.database_url),
                            ("secret_key_file", fc.secret_key_file),
                            ("public_url", fc.public_url),
                            ("log", fc.log),
                            ("log_format", fc.log_format),
                            (
                                "job_lease_seconds",
                                fc.job_lease_seconds.map(|n| n.to_string()),
                            ),
                            (
                                "log_retention_days",
                                fc.log_retention_days.map(|n| n.to_string()),
                            ),
                        ] {
                            if let Some(value) = value {
                                values.insert(
                                    key,
                                    Sourced {
                                        value,
                                        origin: origin(key),
                                    },
                                );
                            }
                        }
                    }
                },
            }
        }

        for (name, value) in env {
            let Some(rest) = name.strip_prefix("STEWARD_") else {
                continue;
            };
            let lower = rest.to_ascii_lowercase();
            match KEYS.iter().find(|k| **k == lower) {
                Some(key) => {
                    values.insert(
                        key,
                        Sourced {
                            value,
                            origin: name.clone(),
                        },
                    );
                }
                None => warnings.push(format!(
                    "ignoring unknown environment variable {name}; known ones are {}",
                    KEYS.iter()
                        .map(|k| format!("STEWARD_{}", k.to_ascii_uppercase()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }

        let take = |key: &str| values.get(key);

        let listen = match take("listen") {
            None => Some(SocketAddr::from(([127, 0, 0, 1], 3000))),
            Some(s) => match s.value.trim().parse::<SocketAddr>() {
                Ok(addr) => Some(addr),
                Err(_) => {
                    errors.push(format!(
                        "{}: {:?} is not an address and port like 127.0.0.1:3000 or 0.0.0.0:8080",
                        s.origin, s.value
                    ));
                    None
                }
            },
        };

        let data_dir = match take("data_dir") {
            None => PathBuf::from("./data"),
            Some(s) if s.value.trim().is_empty() => {
                errors.push(format!("{}: must not be empty", s.origin));
                PathBuf::from("./data")
            }
            Some(s) => PathBuf::from(s.value.trim()),
        };

        let database_url = match take("database_url") {
            None => Config::default_database_url(&data_dir),
            Some(s) => {
                let v = s.value.trim();
                if !(v.starts_with("sqlite:")
                    || v.starts_with("postgres:")
                    || v.starts_with("postgresql:"))
                {
                    errors.push(format!(
                        "{}: {:?} is not a database URL; use sqlite://PATH (or leave it unset for a SQLite file in the data folder)",
                        s.origin,
                        steward_store::redact_url(v)
                    ));
                }
                v.to_string()
            }
        };

        let secret_key_file = take("secret_key_file").map(|s| PathBuf::from(s.value.trim()));

        let public_url = match take("public_url") {
            None => listen.map(|l| format!("http://{l}")).unwrap_or_default(),
            Some(s) => match validate_public_url(&s.value) {
                Ok(url) => url,
                Err(why) => {
                    errors.push(format!("{}: {:?} {why}", s.origin, s.value));
                    String::new()
                }
            },
        };

        let log = match take("log") {
            None => "info".to_string(),
            Some(s) => {
                if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(s.value.trim()) {
                    errors.push(format!(
                        "{}: {:?} is not a log filter ({e}); use a level such as info or debug, or directives like info,steward=debug",
                        s.origin, s.value
                    ));
                }
                s.value.trim().to_string()
            }
        };

        let log_format = match take("log_format").map(|s| (s.value.trim().to_ascii_lowercase(), s))
        {
            None => LogFormat::Text,
            Some((v, _)) if v == "text" => LogFormat::Text,
            Some((v, _)) if v == "json" => LogFormat::Json,
            Some((_, s)) => {
                errors.push(format!(
                    "{}: {:?} is not a log format; use text or json",
                    s.origin, s.value
                ));
                LogFormat::Text
            }
        };

        let job_lease_seconds = match take("job_lease_seconds") {
            None => 30,
            Some(s) => match s.value.trim().parse::<u64>() {
                Ok(n) if (2..=3600).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "{}: {:?} is not a lease length; use a number of seconds from 2 to 3600",
                        s.origin, s.value
                    ));
                    30
                }
            },
        };

        let log_retention_days = match take("log_retention_days") {
            None => 30,
            Some(s) => match s.value.trim().parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => n,
                _ => {
                    errors.push(format!(
                        "{}: {:?} is not a retention period; use a number of days from 1 to 3650",
                        s.origin, s.value
                    ));
                    30
                }
            },
        };

        match (errors.is_empty(), listen) {
            (true, Some(listen)) => Ok((
                Config {
                    listen,
                    data_dir,
                    database_url,
                    secret_key_file,
                    public_url,
                    log,
                    log_format,
                    job_lease_seconds,
                    log_retention_days,
                },
                warnings,
            )),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

fn validate_public_url(raw: &str) -> Result<String, &'static str> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("is not an http:// or https:// URL")?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err("has no host name");
    }
    if rest.contains('?') || rest.contains('#') {
        return Err("must not contain a query or fragment");
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let (c, warnings) = Config::load(None, env(&[("PATH", "/bin")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url, "sqlite://./data/steward.db");
        assert_eq!(c.secret_key_path(), PathBuf::from("./data/secret.key"));
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert_eq!(c.log, "info");
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(warnings.is_empty());
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("steward.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:8080\"\ndata_dir = \"/var/lib/steward\"\nlog = \"debug\"\n",
        )
        .unwrap();
        let (c, _) = Config::load(Some(&file), env(&[("STEWARD_LOG", "warn")])).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(c.database_url, "sqlite:///var/lib/steward/steward.db");
        assert_eq!(c.log, "warn");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_origin() {
        let err = Config::load(
            None,
            env(&[
                ("STEWARD_LISTEN", "localhost"),
                ("STEWARD_PUBLIC_URL", "ftp://x"),
                ("STEWARD_LOG", "info,[[["),
                ("STEWARD_LOG_FORMAT", "xml"),
                ("STEWARD_DATABASE_URL", "mysql://root:pw@db/x"),
            ]),
        )
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "STEWARD_LISTEN: \"localhost\" is not an address",
            "STEWARD_PUBLIC_URL: \"ftp://x\" is not an http:// or https:// URL",
            "STEWARD_LOG: \"info,[[[\" is not a log filter",
            "STEWARD_LOG_FORMAT: \"xml\" is not a log format",
            "STEWARD_DATABASE_URL: \"mysql://root:***@db/x\" is not a database URL",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(!text.contains(":pw@"), "password leaked: {text}");
        assert_eq!(err.0.len(), 5);
    }

    #[test]
    fn file_errors_name_the_file_and_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listn = \"x\"\n").unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml is not valid") && err.contains("unknown field `listn`"),
            "{err}"
        );
        let err = Config::load(Some(&dir.path().join("missing.toml")), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read the config file"), "{err}");
    }

    #[test]
    fn unknown_steward_variables_are_warned_about() {
        let (_, warnings) = Config::load(None, env(&[("STEWARD_LISTN", "x")])).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("STEWARD_LISTN") && warnings[0].contains("STEWARD_LISTEN"));
    }

    #[test]
    fn secrets_are_redacted_when_printed() {
        let (c, _) = Config::load(
            None,
            env(&[(
                "STEWARD_DATABASE_URL",
                "postgres://steward:hunter2@db/steward",
            )]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!c.to_string().contains("hunter2"));
        assert!(c.to_string().contains("postgres://steward:***@db/steward"));
    }

    #[test]
    fn public_urls_are_normalised() {
        assert_eq!(
            validate_public_url("https://steward.example.com/"),
            Ok("https://steward.example.com".into())
        );
        assert!(validate_public_url("https://").is_err());
        assert!(validate_public_url("steward.example.com").is_err());
    }
}
