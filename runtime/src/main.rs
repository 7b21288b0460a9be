//! `expense-backend`: serve the transaction API (default) or run the migrations (`migrate`).
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use runtime::App;
use runtime::config::{self, Settings, SpecSource, Vars};
use runtime::logging;
use runtime::store::Store;
use runtime::telemetry::Metrics;

/// mimalloc instead of the system allocator: the request path allocates and frees many small,
/// short-lived buffers from two threads, where glibc's malloc showed in the load benchmark's
/// profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "The expense transaction API, configured by the platform spec"
)]
struct Cli {
    /// The platform spec (default: specs/expense.toml, else the copy built into the binary).
    #[arg(long, env = "PLATFORM_SPEC", global = true)]
    spec: Option<PathBuf>,
    /// The spec environment to run as.
    #[arg(long, env = "ENVIRONMENT", default_value = config::DEFAULT_ENVIRONMENT, global = true)]
    env: String,
    /// Listen address (default: 0.0.0.0 and the spec's service port).
    #[arg(long, env = "LISTEN_ADDR", global = true)]
    listen: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("expense-backend: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let (model, source) = match config::load_model(cli.spec.as_deref()) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("expense-backend: {error}");
            return ExitCode::from(2);
        }
    };
    let settings = match Settings::from_model(&model, &cli.env, cli.listen, &Vars::from_process()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("expense-backend: {error}");
            return ExitCode::from(2);
        }
    };
    let _log_writer = logging::init(settings.log_level);
    match &source {
        SpecSource::File(path) => {
            tracing::info!(spec = %path.display(), environment = %cli.env, "spec loaded");
        }
        SpecSource::Embedded => {
            tracing::info!(spec = "embedded", environment = %cli.env, "spec loaded");
        }
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match App::build(settings).await {
            Ok(app) => {
                app.run(true).await;
                ExitCode::SUCCESS
            }
            Err(error) => {
                tracing::error!(%error, "start-up failed");
                ExitCode::FAILURE
            }
        },
        Command::Migrate => {
            let result = async {
                let metrics = Metrics::new().map_err(|e| e.to_string())?;
                let store = Store::connect(&settings.database, metrics)
                    .await
                    .map_err(|e| e.to_string())?;
                store.migrate().await.map_err(|e| e.to_string())?;
                store.close().await;
                Ok::<(), String>(())
            }
            .await;
            match result {
                Ok(()) => {
                    tracing::info!("migrations applied");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    tracing::error!(%error, "migration failed");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
