//! A local PostgreSQL cluster in the data folder, for running with no
//! configuration at all. It uses the system's PostgreSQL binaries (found on
//! PATH or under `/usr/lib/postgresql/*/bin`), listens on 127.0.0.1 only with
//! password authentication, and is stopped again when the process that
//! started it stops. A cluster still running from an earlier process is
//! reused as it is.

mod secrets;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use secrecy::{ExposeSecret, SecretString};
use tokio::process::Command;

pub use secrets::Secrets;

/// The cluster's superuser; the migration runs as it.
const SUPERUSER: &str = "alchemi_superuser";
/// The database the gateway keeps its data in.
pub const DATABASE: &str = "alchemi";

/// Why the embedded cluster could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under \
         /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install postgresql`) \
         or set DATABASE_URL to an existing server"
    )]
    NoBinaries,
    #[error(
        "running as root needs the `postgres` system user to own the cluster \
         (Debian/Ubuntu: `apt-get install postgresql` creates it), or run as a normal user"
    )]
    NoPostgresUser,
    #[error("the data folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
    #[error("{0}")]
    Secrets(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> EmbeddedError + '_ {
    move |source| EmbeddedError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A running embedded cluster.
pub struct EmbeddedPostgres {
    cluster_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<nix::unistd::User>,
    port: u16,
    secrets: Secrets,
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Creates the cluster on first use, starts it unless it already runs,
    /// and makes sure the gateway's database exists.
    pub async fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedError::NoBinaries)?;
        let run_as = if nix::unistd::geteuid().is_root() {
            Some(
                nix::unistd::User::from_name("postgres")
                    .ok()
                    .flatten()
                    .ok_or(EmbeddedError::NoPostgresUser)?,
            )
        } else {
            None
        };
        std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
        let data_dir = data_dir.canonicalize().map_err(io_error(data_dir))?;
        let secrets = Secrets::load_or_create(&data_dir)?;
        let cluster_dir = data_dir.join("pgdata");

        let mut cluster = Self {
            cluster_dir,
            bin_dir,
            run_as,
            port: 0,
            secrets,
            started_here: false,
        };
        if !cluster.cluster_dir.join("PG_VERSION").exists() {
            cluster.init(&data_dir).await?;
        }
        match cluster.running_port() {
            Some(port) if cluster.pg_ctl(&["status"]).await.is_ok() => cluster.port = port,
            _ => {
                cluster.port = free_port(&data_dir)?;
                let options = format!(
                    "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
                    cluster.port
                );
                let log = cluster.cluster_dir.join("postgres.log");
                let log = log.to_string_lossy().into_owned();
                cluster
                    .pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &options])
                    .await?;
                cluster.started_here = true;
            }
        }
        cluster.create_database().await?;
        Ok(cluster)
    }

    /// The generated passwords of the cluster's roles.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Connection settings for `user` on the gateway's database.
    pub fn config(&self, user: &str, password: &SecretString) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.port)
            .dbname(DATABASE)
            .user(user)
            .password(password.expose_secret());
        config
    }

    /// Connection settings for the superuser on the gateway's database.
    pub fn superuser_config(&self) -> tokio_postgres::Config {
        self.config(SUPERUSER, &self.secrets.superuser)
    }

    /// Stops the cluster if this process started it.
    pub async fn stop(self) {
        if self.started_here
            && let Err(err) = self.pg_ctl(&["stop", "-w", "-m", "fast"]).await
        {
            tracing::warn!(error = %err, "embedded PostgreSQL did not stop cleanly");
        }
    }

    async fn init(&self, data_dir: &Path) -> Result<(), EmbeddedError> {
        std::fs::create_dir_all(&self.cluster_dir).map_err(io_error(&self.cluster_dir))?;
        let password_file = data_dir.join(".initdb-password");
        std::fs::write(&password_file, self.secrets.superuser.expose_secret())
            .map_err(io_error(&password_file))?;
        if let Some(user) = &self.run_as {
            // The server runs as `postgres`: it must own its cluster and be
            // able to pass through the data folder (but not list it).
            set_mode(data_dir, 0o711)?;
            for path in [&self.cluster_dir, &password_file] {
                nix::unistd::chown(path.as_path(), Some(user.uid), Some(user.gid)).map_err(
                    |errno| EmbeddedError::Io {
                        path: path.clone(),
                        source: errno.into(),
                    },
                )?;
            }
        }
        set_mode(&self.cluster_dir, 0o700)?;
        let pgdata = self.cluster_dir.to_string_lossy().into_owned();
        let pwfile = format!("--pwfile={}", password_file.to_string_lossy());
        let result = self
            .run(
                "initdb",
                &[
                    "-D",
                    &pgdata,
                    "-U",
                    SUPERUSER,
                    &pwfile,
                    "-A",
                    "scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
            )
            .await;
        let _ = std::fs::remove_file(&password_file);
        result
    }

    async fn create_database(&self) -> Result<(), EmbeddedError> {
        let mut config = self.superuser_config();
        config.dbname("postgres");
        let fail = |err: tokio_postgres::Error| EmbeddedError::Command {
            command: "create the gateway database".into(),
            output: err.to_string(),
        };
        let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(fail)?;
        let task = tokio::spawn(connection);
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&DATABASE],
            )
            .await
            .map_err(fail)?
            .get(0);
        if !exists {
            client
                .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
                .await
                .map_err(fail)?;
        }
        drop(client);
        let _ = task.await;
        Ok(())
    }

    /// The port recorded by a running postmaster (line 4 of postmaster.pid).
    fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.cluster_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    async fn pg_ctl(&self, args: &[&str]) -> Result<(), EmbeddedError> {
        let pgdata = self.cluster_dir.to_string_lossy().into_owned();
        let mut all = vec![args[0], "-D", &pgdata];
        all.extend_from_slice(&args[1..]);
        self.run("pg_ctl", &all).await
    }

    async fn run(&self, program: &str, args: &[&str]) -> Result<(), EmbeddedError> {
        let binary = self.bin_dir.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", &user.name, "--"]).arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        command
            .args(args)
            .current_dir(&self.cluster_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let described = format!("{program} {}", args.first().copied().unwrap_or_default());
        let output = command
            .output()
            .await
            .map_err(|err| EmbeddedError::Command {
                command: described.clone(),
                output: err.to_string(),
            })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(EmbeddedError::Command {
                command: described,
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout).trim(),
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            })
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), EmbeddedError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_error(path))
}

/// The port the cluster used last time if it is still free (so connections
/// configured before a restart keep working), else any free port; recorded
/// in the data folder.
fn free_port(data_dir: &Path) -> Result<u16, EmbeddedError> {
    let record = data_dir.join("port");
    let previous = std::fs::read_to_string(&record)
        .ok()
        .and_then(|text| text.trim().parse::<u16>().ok())
        .filter(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok());
    let port = match previous {
        Some(port) => port,
        None => {
            let listener =
                std::net::TcpListener::bind("127.0.0.1:0").map_err(io_error(data_dir))?;
            listener.local_addr().map_err(io_error(data_dir))?.port()
        }
    };
    std::fs::write(&record, port.to_string()).map_err(io_error(&record))?;
    Ok(port)
}

/// The folder with `initdb` and `pg_ctl`: PATH first, then the newest
/// Debian-style `/usr/lib/postgresql/<version>/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_tools(&dir) {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_tools(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}
