//! The `finmatch` command: `serve` (default), `migrate`, `create-user`, `openapi`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel::prelude::*;
use finmatch::app::credentials as auth;
use finmatch::config::{Settings, Source};
use finmatch::db;
use finmatch::domain::org::OrgKind;
use finmatch::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "finmatch",
    version,
    about = "SME financing-matchmaking platform API (银企融资对接平台)"
)]
struct Cli {
    /// A KEY=VALUE file with the same keys as the environment (DATABASE_URL, FINMATCH_…).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate {
        /// Revert every migration first (destroys all data).
        #[arg(long)]
        reset: bool,
    },
    /// Create a user in an existing organization (or an admin user with --admin).
    CreateUser {
        #[arg(long)]
        username: String,
        /// Organization id; omit with --admin.
        #[arg(long, required_unless_present = "admin")]
        org_id: Option<i64>,
        /// Put the user in the platform operator's organization (role admin).
        #[arg(long, conflicts_with = "org_id")]
        admin: bool,
        /// The password (at least 10 characters); read from FINMATCH_NEW_USER_PASSWORD when omitted.
        #[arg(long, env = "FINMATCH_NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Print the effective settings (secrets masked) and exit; non-zero when one is invalid.
    CheckConfig,
    /// Copy the live SQLite database to FILE as one consistent snapshot, while finmatch serves.
    Backup { file: PathBuf },
    /// Replace the SQLite database with the backup FILE; refused while a finmatch serves it.
    Restore { file: PathBuf },
    /// Recompute the reporting rollups from demands, matches and loans (a repair tool: they
    /// are normally kept current by every write).
    RebuildStats,
    /// Fill the database with a realistic demo world (banks, products of every type,
    /// enterprises across regions and qualification tiers, demands, and two years of matches
    /// and loans), made through the use cases. Users' password: demo-password.
    SeedDemo {
        #[arg(long, default_value_t = 8)]
        banks: usize,
        #[arg(long, default_value_t = 60)]
        products: usize,
        #[arg(long, default_value_t = 200)]
        enterprises: usize,
        #[arg(long, default_value_t = 400)]
        demands: usize,
        /// How many enterprises' logins the report lists (each has one: demo_ent_1 …).
        #[arg(long, default_value_t = 20)]
        enterprise_users: usize,
        /// Demands that end in a disbursed loan.
        #[arg(long, default_value_t = 60)]
        loans: usize,
        /// Further demands with a match in each other state in turn.
        #[arg(long, default_value_t = 50)]
        other_matches: usize,
        /// Random seed: the same seed builds the same world.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", startup::openapi_json());
        return Ok(());
    }
    let source = Source::load(cli.config.as_deref())?;
    let settings = match Settings::from_source(&source) {
        Ok(s) => s,
        Err(e) => {
            // Which key and why, and nothing else: a value that failed may be a secret.
            eprintln!("finmatch: invalid configuration: {e:#}");
            std::process::exit(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::CheckConfig = command {
        for (key, value) in settings.effective() {
            println!("{key}={value}");
        }
        for (key, nearest) in source.unknown_keys() {
            match nearest {
                Some(n) => println!("# unknown key {key} (did you mean {n}?)"),
                None => println!("# unknown key {key}"),
            }
        }
        return Ok(());
    }
    // A demo world is thousands of use cases: their per-call spans would drown the report.
    let quiet = matches!(command, Command::SeedDemo { .. });
    finmatch::telemetry::init(if quiet { "warn" } else { &settings.log_filter });
    for (key, nearest) in source.unknown_keys() {
        match nearest {
            Some(n) => tracing::warn!(key, did_you_mean = n, "unknown setting ignored"),
            None => tracing::warn!(key, "unknown setting ignored"),
        }
    }
    match command {
        Command::Serve => serve(settings),
        Command::Migrate { reset } => {
            let pool = db::build_pool(
                &settings.database,
                1,
                std::time::Duration::from_millis(settings.db_timeout_ms),
            )?;
            let mut conn = pool.get()?;
            if reset {
                let reverted =
                    db::migrations::revert_all(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("reverted {} migration(s)", reverted.len());
            }
            let applied =
                db::migrations::run_pending(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
            startup::upgrade_stored_data(&mut conn)?;
            println!(
                "applied {} migration(s) on {}",
                applied.len(),
                settings.database.redacted()
            );
            Ok(())
        }
        Command::CreateUser {
            username,
            org_id,
            admin,
            password,
        } => create_user(&settings, &username, org_id, admin, &password),
        Command::SeedDemo {
            banks,
            products,
            enterprises,
            demands,
            enterprise_users,
            loans,
            other_matches,
            seed,
        } => {
            let opts = finmatch::seed::SeedOptions {
                banks,
                products,
                enterprises,
                demands,
                enterprise_users,
                loans,
                other_matches,
                seed,
            };
            let pool = startup::prepare_database(&settings)?;
            startup::ensure_admin(&pool, &settings)?;
            let hash =
                auth::hash_password(finmatch::seed::DEMO_PASSWORD, settings.password_hash_cost)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let started = std::time::Instant::now();
            let matching = finmatch::catalog::MatchingCache::default();
            let cx = finmatch::seed::SeedContext {
                matching: &matching,
                decide_working_days: settings.decide_working_days,
            };
            let report = finmatch::seed::seed(
                &mut *pool.get()?,
                &opts,
                &hash,
                finmatch::app::clock::today(),
                &cx,
            )?;
            println!(
                "seeded in {:.1}s: {} finance offices, {} banks, {} guarantors, {} products, {} enterprises ({} qualifications), {} demands, {} matches, {} loans ({} servicing events, {} renewals, {} bridges), {} risk schemes ({} enrollments, {} compensation claims), {} award claims, {} reporting cells",
                started.elapsed().as_secs_f64(),
                report.finance_offices,
                report.banks,
                report.guarantors,
                report.products,
                report.enterprises,
                report.qualifications,
                report.demands,
                report.matches,
                report.loans,
                report.loan_events,
                report.renewals,
                report.bridges,
                report.risk_schemes,
                report.enrollments,
                report.compensation_claims,
                report.award_claims,
                report.stats_cells
            );
            println!("demo users (password '{}'):", finmatch::seed::DEMO_PASSWORD);
            for (user, what) in report.users.iter().take(40) {
                println!("  {user:<20} {what}");
            }
            Ok(())
        }
        Command::RebuildStats => {
            let pool = startup::prepare_database(&settings)?;
            let started = std::time::Instant::now();
            let cells = finmatch::db::rollups::rebuild(&mut *pool.get()?)?;
            println!(
                "rebuilt {cells} reporting cells in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backup { file } => {
            let started = std::time::Instant::now();
            let bytes = db::backup::backup(&settings.database, &file)?;
            println!(
                "backed up {} to {} ({bytes} bytes) in {:.1}s",
                settings.database.redacted(),
                file.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { file } => {
            db::backup::restore(&settings.database, &file)?;
            println!(
                "restored {} from {}; start finmatch to apply any newer migrations",
                settings.database.redacted(),
                file.display()
            );
            Ok(())
        }
        Command::Openapi | Command::CheckConfig => unreachable!("handled above"),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    finmatch::telemetry::return_large_allocations();
    if settings.password_hash_cost == auth::HashCost::Test {
        tracing::warn!(
            "FINMATCH_PASSWORD_HASH_COST=test: new password hashes are weak; for tests only"
        );
    }
    // Held while serving: `finmatch restore` refuses to replace this database under us.
    let _serving = db::backup::serve_lock(&settings.database)?;
    let pool = startup::prepare_database(&settings)?;
    startup::ensure_admin(&pool, &settings)?;
    let app = Application::build(&settings, pool.clone())?;
    tracing::info!(
        listen = %settings.listen,
        port = app.port,
        database = %settings.database.redacted(),
        "finmatch serving; API reference at /docs/"
    );
    if let Some((port, _)) = &app.metrics {
        tracing::info!(port, "Prometheus metrics at /metrics");
    }
    actix_web::rt::System::new().block_on(async move {
        if let Some((_, metrics)) = app.metrics {
            actix_web::rt::spawn(metrics);
        }
        finmatch::jobs::spawn_workers(pool, settings.webhook_allow_networks.clone());
        app.server.await
    })?;
    tracing::info!("finmatch stopped");
    Ok(())
}

fn create_user(
    settings: &Settings,
    username: &str,
    org_id: Option<i64>,
    admin: bool,
    password: &str,
) -> anyhow::Result<()> {
    use finmatch::db::schema::organizations;
    auth::validate_username(username).map_err(|m| anyhow::anyhow!("username {m}"))?;
    auth::validate_password(password).map_err(|m| anyhow::anyhow!("password {m}"))?;
    let pool = startup::prepare_database(settings)?;
    startup::ensure_admin(&pool, settings)?;
    let mut conn = pool.get()?;
    let org_id = match (org_id, admin) {
        (Some(id), _) => id,
        (None, _) => organizations::table
            .filter(organizations::kind.eq(OrgKind::Platform.as_str()))
            .select(organizations::id)
            .order(organizations::id.asc())
            .first::<i64>(&mut conn)
            .context("no platform organization")?,
    };
    let org = db::orgs::find(&mut conn, org_id)?
        .with_context(|| format!("organization {org_id} does not exist"))?;
    let hash = auth::hash_password(password, settings.password_hash_cost)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let user = finmatch::app::users::add(
        &mut conn,
        org.id,
        username,
        &hash,
        finmatch::app::clock::now(),
    )
    .map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    println!(
        "created user {} (id {}) in organization {} '{}' ({})",
        user.username, user.id, org.id, org.name, org.kind
    );
    Ok(())
}
