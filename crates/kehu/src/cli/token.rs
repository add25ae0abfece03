//! `kehu token create`: API tokens for scripts, shown once and stored hashed.

use clap::{Args, Subcommand};
use kehu_db::{auth, users, Db};

/// `kehu token …`
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for a user and print it once.
    Create {
        /// The user's sign-in name.
        #[arg(long)]
        user: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Runs `kehu token …`.
pub async fn run(args: TokenArgs, db: Db) -> anyhow::Result<()> {
    match args.command {
        TokenCommand::Create { user, name } => {
            let Some((found, _)) = users::with_password_hash(&db, &user).await? else {
                anyhow::bail!("there is no user {user:?}");
            };
            if !found.active {
                anyhow::bail!("user {user:?} is deactivated");
            }
            let token = auth::create_api_token(&db, found.id, &name).await?;
            eprintln!("API token for {user} (shown once; send it as `Authorization: Bearer …`):");
            println!("{token}");
            Ok(())
        }
    }
}
