//! Runs the development identity provider on its own:
//! `cargo run -p octo-dev-idp --example serve -- [ADDRESS] [KEY FILE]`
//! (default `127.0.0.1:8090`, ephemeral key). Prints the admin password.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let issuer = format!("http://{}/dev-idp", listener.local_addr()?);
    let (mut config, password) = octo_dev_idp::DevIdpConfig::with_random_admin(&issuer);
    config.key_path = args.next().map(Into::into);
    let idp = octo_dev_idp::DevIdp::new(config)?;
    println!("dev-idp at {issuer}");
    println!("verification page: {}", idp.verification_uri());
    println!("sign in as admin / {password}");
    idp.serve(listener).await?;
    Ok(())
}
