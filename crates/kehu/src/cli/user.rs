//! `kehu user create`: make a user from the command line (the first admin, scripts).

use clap::{Args, Subcommand};
use kehu_db::users::NewUser;
use kehu_db::{teams, users, Db, DbError};
use std::io::Read;

/// `kehu user …`
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input (never from a flag, so it
    /// stays out of shell history and process lists).
    Create {
        /// Sign-in name.
        #[arg(long)]
        username: String,
        /// Role name: admin, sales_manager, sales_rep, service_agent, read_only (or a custom role).
        #[arg(long)]
        role: String,
        /// Team name (created if it does not exist).
        #[arg(long)]
        team: Option<String>,
        /// Name shown to others (default: the sign-in name).
        #[arg(long)]
        display_name: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// Runs `kehu user …`.
pub async fn run(args: UserArgs, db: Db) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Create {
            username,
            role,
            team,
            display_name,
            email,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            if let Err(code) = kehu_web::auth::password::check_new_password(&password) {
                anyhow::bail!(
                    "the password is too short ({code}): use at least {} characters",
                    kehu_web::auth::password::MIN_PASSWORD_CHARS
                );
            }
            let team_id = match team {
                Some(name) => Some(match teams::by_name(&db, &name).await? {
                    Some(team) => team.id,
                    None => teams::create(&db, &name, None).await.map_err(explain)?.id,
                }),
                None => None,
            };
            let hash = kehu_web::auth::password::hash_password(password).await?;
            let user = users::create(
                &db,
                NewUser {
                    display_name: display_name.unwrap_or_else(|| username.clone()),
                    username,
                    email,
                    password_hash: hash,
                    team_id,
                    roles: vec![role],
                },
            )
            .await
            .map_err(explain)?;
            println!(
                "created user {} (id {}) with role {}",
                user.username,
                user.id,
                user.roles.join(", ")
            );
            Ok(())
        }
    }
}

/// Turns field errors into a message that names the flag.
pub fn explain(error: DbError) -> anyhow::Error {
    match error {
        DbError::Invalid(fields) => {
            let lines: Vec<String> = fields
                .0
                .iter()
                .map(|(field, e)| format!("--{}: {}", field.replace('_', "-"), e.message))
                .collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        }
        other => other.into(),
    }
}
