//! The restore drill: under load, an online logical backup (`mariadb-dump --single-transaction`,
//! `pg_dump`), more writes, then the database is lost (dropped). The operator restores the backup
//! into a new database and restarts the runtime on it (a new `DATABASE_URL`, as the devops
//! guide's RDS restore makes a new instance). Every write acknowledged before the backup point is
//! restored exactly once and every write after it is lost: a dump's recovery point. The time
//! from the loss to serving again is measured against the spec's RTO for production.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{Engine, ServerProcess, TestDb};
use crate::load::{Ack, Load, Plan, Report};
use testkit::{Need, Test, test};

/// This module's tests, and what each needs besides the workspace.
pub(crate) fn tests() -> Vec<Test> {
    vec![
        test!(async(multi_thread) a_mariadb_dump_restored_into_a_new_database_keeps_every_write_before_the_backup_point, Need::MARIADB, Need::Tool("mariadb-dump"), Need::Tool("mariadb")),
        test!(async(multi_thread) a_postgres_dump_restored_into_a_new_database_keeps_every_write_before_the_backup_point, Need::POSTGRES, Need::Tool("pg_dump"), Need::Tool("psql")),
    ]
}

/// The recovery targets the spec promises for production (`[environments.prod.recovery]`: the
/// expense design's "Complete region failover: < 2 hours", RDS point-in-time recovery < 5 min).
fn targets() -> generator::model::Recovery {
    let model = generator::model::Model::load_str(
        runtime::config::DEFAULT_SPEC_PATH,
        runtime::config::EMBEDDED_SPEC,
    )
    .expect("spec");
    model
        .environment("prod")
        .and_then(|prod| prod.recovery.clone())
        .expect("the spec states prod's recovery targets")
}

/// Each load round comes from a new client, so the spec's rate limits stay out of the way.
const TRUST_FORWARDED: (&str, &str) = ("TRUST_X_FORWARDED_FOR", "true");

/// Where a database URL points, for the command-line clients.
struct Endpoint {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
    database: String,
}

impl Endpoint {
    fn of(url: &str) -> Self {
        let parsed = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        Self {
            host: parsed.host_str().expect("a host").to_owned(),
            port: parsed.port().expect("a port"),
            user: parsed.username().to_owned(),
            password: parsed.password().map(str::to_owned),
            database: parsed.path().trim_start_matches('/').to_owned(),
        }
    }
}

/// Runs a client tool the test declared; panics with what it said when it fails.
async fn run_client(
    tool: &'static str,
    configure: impl FnOnce(&mut std::process::Command) + Send + 'static,
) {
    let output = tokio::task::spawn_blocking(move || {
        let mut command = testkit::tool_command(&testkit::tool(tool));
        configure(&mut command);
        command.stdout(std::process::Stdio::null()).output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("{tool} does not start: {e}"));
    assert!(
        output.status.success(),
        "{tool} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An online, consistent logical backup of the database at `url` into `file`.
async fn dump(engine: Engine, url: &str, file: &Path) {
    let to = Endpoint::of(url);
    let file = file.to_owned();
    match engine {
        // One REPEATABLE READ transaction: a snapshot of every table at one moment, no lock.
        Engine::Mysql => {
            run_client("mariadb-dump", move |command| {
                command
                    .arg("--no-defaults")
                    .args(["--protocol=TCP", "--host", &to.host, "--port"])
                    .arg(to.port.to_string())
                    .args(["--user", &to.user, "--single-transaction"])
                    .arg(format!("--result-file={}", file.display()))
                    .arg(&to.database);
                if let Some(password) = &to.password {
                    command.env("MYSQL_PWD", password);
                }
            })
            .await;
        }
        // pg_dump always reads one snapshot.
        Engine::Postgres => {
            let url = url.to_owned();
            run_client("pg_dump", move |command| {
                command
                    .args(["--no-password", "--no-owner", "--no-privileges", "--file"])
                    .arg(file)
                    .arg(format!("--dbname={url}"));
            })
            .await;
        }
        Engine::Sqlite => unreachable!("a server engine"),
    }
}

/// The spec's name of a server engine.
fn runbook_engine(engine: Engine) -> generator::model::Engine {
    match engine {
        Engine::Mysql => generator::model::Engine::Mysql,
        Engine::Postgres => generator::model::Engine::Postgres,
        Engine::Sqlite => unreachable!("a server engine"),
    }
}

/// What the engine's command-line client runs: a file (the backup), or statements.
enum Sql {
    File(std::path::PathBuf),
    Statements(&'static str),
}

/// Runs `sql` on the database at `url` with the engine's own client (`mariadb`, `psql`), as the
/// runbook does; a failing statement fails the client.
async fn run_sql(engine: Engine, url: &str, sql: Sql) {
    match engine {
        Engine::Mysql => {
            let to = Endpoint::of(url);
            run_client("mariadb", move |command| {
                command
                    .arg("--no-defaults")
                    .args(["--protocol=TCP", "--host", &to.host, "--port"])
                    .arg(to.port.to_string())
                    .args(["--user", &to.user, &to.database]);
                match sql {
                    Sql::File(file) => {
                        command.stdin(std::fs::File::open(file).expect("the backup"));
                    }
                    Sql::Statements(statements) => {
                        command.args(["--execute", statements]);
                    }
                }
                if let Some(password) = &to.password {
                    command.env("MYSQL_PWD", password);
                }
            })
            .await;
        }
        Engine::Postgres => {
            let url = url.to_owned();
            run_client("psql", move |command| {
                command
                    .args([
                        "--no-password",
                        "--no-psqlrc",
                        "--quiet",
                        "--single-transaction",
                    ])
                    .args(["--set", "ON_ERROR_STOP=1"]);
                match sql {
                    Sql::File(file) => command.arg("--file").arg(file),
                    Sql::Statements(statements) => command.args(["--command", statements]),
                };
                command.arg(format!("--dbname={url}"));
            })
            .await;
        }
        Engine::Sqlite => unreachable!("a server engine"),
    }
}

/// The worker that wrote `ack` (descriptions are `<plan>-w<worker>-r<round>`).
fn worker_of(ack: &Ack) -> &str {
    ack.description
        .rsplit_once("-r")
        .map_or(ack.description.as_str(), |(worker, _)| worker)
}

/// The ledger of writes acknowledged by the lost database against the restored one.
struct Recovery {
    /// Acknowledged before the dump began / while it ran / after it.
    before: usize,
    during: usize,
    after: usize,
    /// Of those acknowledged while the dump ran and after it, how many were restored.
    restored_during: usize,
    restored_after: usize,
}

impl Recovery {
    /// Checks, with `report` already checked against the restored database (its `lost` are the
    /// acknowledged writes not restored), that the backup is exactly a point in time:
    /// - every write acknowledged before the dump began is restored (exactly once: `duplicated`);
    /// - each worker's restored writes are the first it wrote, with no gap: once one is missing,
    ///   every later one is (the backup is one snapshot, and a worker sends a write only after
    ///   its previous one was acknowledged);
    /// - every write sent after the dump ended (its worker's previous write was acknowledged
    ///   after that) is missing.
    ///
    /// `before_dump` and `by_dump_end` are the ledger's lengths when the dump began and ended.
    fn check(report: &Report, before_dump: usize, by_dump_end: usize) -> Self {
        let lost: HashSet<i64> = report.lost.iter().copied().collect();
        let restored = |ack: &Ack| !lost.contains(&ack.id);
        let acks = &report.acknowledged;
        let missing: Vec<&Ack> = acks[..before_dump]
            .iter()
            .filter(|ack| !restored(ack))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: {} writes acknowledged before the backup are not restored, first {:?}",
            report.name,
            missing.len(),
            missing.first()
        );
        assert!(
            report.duplicated.is_empty(),
            "{}: writes restored twice: {:?}",
            report.name,
            report.duplicated
        );
        let mut by_worker: BTreeMap<&str, Vec<(usize, &Ack)>> = BTreeMap::new();
        for (index, ack) in acks.iter().enumerate() {
            by_worker
                .entry(worker_of(ack))
                .or_default()
                .push((index, ack));
        }
        for (worker, written) in &by_worker {
            let kept = written
                .iter()
                .position(|(_, ack)| !restored(ack))
                .unwrap_or(written.len());
            if let Some((_, after_a_gap)) = written[kept..].iter().find(|(_, ack)| restored(ack)) {
                panic!(
                    "{}: {} is restored although {worker}'s earlier write {} is not: the backup \
                     is not one point in time",
                    report.name, after_a_gap.description, written[kept].1.description
                );
            }
            for pair in written.windows(2) {
                let ((previous, _), (_, next)) = (pair[0], pair[1]);
                assert!(
                    previous < by_dump_end || !restored(next),
                    "{}: {} was sent after the dump ended, yet it is restored",
                    report.name,
                    next.description
                );
            }
        }
        let restored_in =
            |range: std::ops::Range<usize>| acks[range].iter().filter(|ack| restored(ack)).count();
        Self {
            before: before_dump,
            during: by_dump_end - before_dump,
            after: acks.len() - by_dump_end,
            restored_during: restored_in(before_dump..by_dump_end),
            restored_after: restored_in(by_dump_end..acks.len()),
        }
    }
}

/// Ids of lost writes that the restored database has since given to other transactions.
async fn reused_ids(report: &Report, url: &str) -> usize {
    let db = Database::connect(url).await.expect("connect");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM transactions",
        ))
        .await
        .expect("read the ids");
    db.close().await.expect("close");
    let ids: HashSet<i64> = rows
        .iter()
        .map(|row| row.try_get("", "id").expect("id"))
        .collect();
    report.lost.iter().filter(|id| ids.contains(id)).count()
}

async fn restore_drill(engine: Engine, name: &'static str, after_name: &'static str) {
    let lost_db = TestDb::for_engine(engine).await;
    let backups = tempfile::tempdir().expect("temp dir");
    let backup = backups.path().join("backup.sql");
    let old = ServerProcess::start(&lost_db.url, &[TRUST_FORWARDED]).await;
    let load = Load::start(Plan::new(name).rotating_clients(), vec![old.url("")]);
    load.until_more_acknowledged(60, Duration::from_secs(20), "before the backup")
        .await;

    // The backup, online: the load goes on while it runs.
    let before_dump = load.acknowledged();
    let dump_began = Instant::now();
    dump(engine, &lost_db.url, &backup).await;
    let dump_took = dump_began.elapsed();
    let by_dump_end = load.acknowledged();

    // More writes, which only the database about to be lost holds.
    load.until_more_acknowledged(60, Duration::from_secs(20), "after the backup")
        .await;

    // The database is lost.
    let admin_url = testkit::service_url(engine.need().expect("a server engine"));
    let admin = Database::connect(&admin_url).await.expect("connect");
    let lost_name = Endpoint::of(&lost_db.url).database;
    let drop_sql = match engine {
        // The runtime still holds connections to it.
        Engine::Postgres => format!("DROP DATABASE {lost_name} WITH (FORCE)"),
        _ => format!("DROP DATABASE {lost_name}"),
    };
    admin.execute_unprepared(&drop_sql).await.expect("drop");
    let lost_at = Instant::now();
    admin.close().await.expect("close");

    // The operator restores the backup into a new database and restarts the runtime on it with
    // the new DATABASE_URL, as a deploy does: the runtime reads its URL once, at start, and a
    // process started afresh also drops every connection and cached answer of the lost one.
    let restored_db = TestDb::for_engine(engine).await;
    run_sql(engine, &restored_db.url, Sql::File(backup.clone())).await;
    // The runbook's step 3: the id counter moved past every id the lost database issued.
    run_sql(
        engine,
        &restored_db.url,
        Sql::Statements(generator::render::operations::move_id_counter_sql(
            runbook_engine(engine),
        )),
    )
    .await;
    let restored_at = Instant::now();
    let new = ServerProcess::start(&restored_db.url, &[TRUST_FORWARDED]).await;
    let started_at = Instant::now();
    let after = Load::start(
        Plan::new(after_name).rotating_clients().requests(400),
        vec![new.url("")],
    );
    after
        .until_more_acknowledged(1, Duration::from_secs(20), "once restored")
        .await;
    // Clients move to the new process; the old one is retired.
    let mut report = load.stop().await;
    old.terminate();
    old.exit_within(Duration::from_secs(30)).await;
    after
        .until_more_acknowledged(30, Duration::from_secs(20), "on the restored database")
        .await;
    let mut after_report = after.stop().await;
    let serving_at = after_report
        .answered
        .iter()
        .copied()
        .min()
        .expect("a request served");

    // The ledger of the lost database against the restored one.
    report.check_database(&restored_db.url).await;
    let recovery = Recovery::check(&report, before_dump, by_dump_end);
    let reused = reused_ids(&report, &restored_db.url).await;
    let outage: BTreeMap<u16, usize> =
        report
            .server_errors
            .iter()
            .fold(BTreeMap::new(), |mut counts, (status, _)| {
                *counts.entry(*status).or_default() += 1;
                counts
            });
    let rto = serving_at.duration_since(lost_at);
    let targets = targets();
    println!(
        "  backup point: a dump of {} ms, {:.1} s before the loss; acknowledged {} before the \
         dump (all restored, once), {} while it ran ({} in its snapshot), {} after it ({} lost); \
         lost {} = every write after the backup point, none before it: a dump's RPO (everything \
         after the dump); {reused} ids of lost writes name other transactions after the \
         runbook moved the id counter",
        dump_took.as_millis(),
        lost_at.duration_since(dump_began).as_secs_f64(),
        recovery.before,
        recovery.during,
        recovery.restored_during,
        recovery.after,
        recovery.after - recovery.restored_after,
        report.lost.len(),
    );
    println!(
        "  restore time (drop -> serving again): {} ms (new database and restore {} ms, runtime \
         restart {} ms, first request served {} ms later), the spec's prod RTO {} (RPO {}, which \
         RDS point-in-time recovery keeps; this drill's logical dump has its own backup point); \
         the old process meanwhile answered {:?} (status: count), {} unanswered",
        rto.as_millis(),
        restored_at.duration_since(lost_at).as_millis(),
        started_at.duration_since(restored_at).as_millis(),
        serving_at.duration_since(started_at).as_millis(),
        targets.rto,
        targets.rpo,
        outage,
        report.failed - report.server_errors.len() as u64,
    );
    after_report.check_database(&restored_db.url).await;

    assert!(
        !report.lost.is_empty(),
        "{name}: nothing was lost, yet writes were acknowledged after the backup"
    );
    assert!(
        report.stale.is_empty(),
        "{name}: stale reads: {:?}",
        report.stale
    );
    assert_eq!(
        reused, 0,
        "{name}: {reused} ids of lost writes now name other transactions: a client holding one \
         would read or delete someone else's (the runbook's id counter step)"
    );
    assert!(
        outage.keys().all(|status| *status == 503),
        "{name}: while its database was gone the old process answered {outage:?} (status: \
         count): a lost database is unavailable (503), never an internal error (500)"
    );
    assert!(
        rto < targets.rto.value(),
        "{name}: restored in {rto:?}, beyond the spec's RTO {}",
        targets.rto
    );
    after_report.assert_no_failure();
    after_report.assert_nothing_lost();
    drop(new);
}

async fn a_mariadb_dump_restored_into_a_new_database_keeps_every_write_before_the_backup_point() {
    restore_drill(
        Engine::Mysql,
        "mariadb-restore-drill",
        "mariadb-after-restore",
    )
    .await;
}

async fn a_postgres_dump_restored_into_a_new_database_keeps_every_write_before_the_backup_point() {
    restore_drill(
        Engine::Postgres,
        "postgres-restore-drill",
        "postgres-after-restore",
    )
    .await;
}
