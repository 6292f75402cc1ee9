use super::*;

#[test]
fn default_is_valid_and_accepts_any_insee() {
    let c = Config::embedded_default();
    assert_eq!(c.folders.input, Path::new("./msp-data/entree"));
    assert_eq!(c.client_for("75056").unwrap().name, "default");
}

#[test]
fn passwords_come_from_the_environment_or_a_file() {
    let t = tempfile::tempdir().unwrap();
    let pw = t.path().join("pw");
    std::fs::write(&pw, "s3cret/@;}\n").unwrap();
    let toml = format!(
        "[[client]]\nname = \"A\"\ninsee = [\"75056\"]\ndatabase = \"postgres://msp@db/town\"\npassword_file = \"{}\"\n[[client]]\nname = \"B\"\ninsee = [\"69123\"]\ndatabase = \"odbc:DSN=town\"\ndialect = \"oracle\"\npassword_env = \"MSP_TEST_NO_SUCH_VAR\"\nflows = [\"RCO-LA\"]\n",
        pw.display()
    );
    let c = Config::from_toml(&toml, t.path(), "t".into()).unwrap();
    assert_eq!(
        c.clients[0].database_url().unwrap(),
        "postgres://msp:s3cret%2F%40%3B%7D@db/town"
    );
    let e = c.clients[1].database_url().unwrap_err();
    assert!(e.message.contains("MSP_TEST_NO_SUCH_VAR"), "{e}");
    assert!(c.clients[1].handles("RCO-LA") && !c.clients[1].handles("AEC-LA"));
    assert!(!format!("{:?}", c).contains("s3cret"));
}

#[test]
fn routes_and_checks() {
    let t = "root = \"/r\"\n[directories]\ninput = \"/in\"\n[[client]]\nname = \"Paris\"\ninsee = [\"75056\"]\ndatabase = \"sqlite://p.db\"\n[[client]]\nname = \"Ajaccio\"\ninsee = [\"2A004\"]\ndatabase = \"postgres://u:secret@h/db\"\nattachments = \"directory\"\n";
    let c = Config::from_toml(t, Path::new("/etc"), "t".into()).unwrap();
    assert_eq!(c.folders.input, Path::new("/in"));
    assert_eq!(c.folders.done, Path::new("/r/termine"));
    assert_eq!(
        c.client_for("2A004").unwrap().attachments,
        AttachmentMode::Directory
    );
    assert!(c.client_for("69123").is_none());
    assert!(!format!("{:?}", c.clients[1]).contains("secret"));
    assert_eq!(
        redact_url("odbc:Driver={X};UID=u;PWD={p;w}};x};"),
        "odbc:Driver={X};UID=u;PWD=***"
    );
    assert_eq!(
        redact_url("postgres://u:secret@h/db"),
        "postgres://u:***@h/db"
    );
    let dup = t.replace("2A004", "75056");
    assert!(Config::from_toml(&dup, Path::new("/"), "t".into())
        .unwrap_err()
        .message
        .contains("both"));
    let badcode = t.replace("2A004", "2C004");
    assert!(Config::from_toml(&badcode, Path::new("/"), "t".into()).is_err());
    assert!(Config::from_toml("roots = 1", Path::new("/"), "t".into()).is_err());
}

#[test]
fn hubee_subscriptions_need_the_hub_and_a_secret() {
    let client =
        "[[client]]\nname = \"Belfort\"\ninsee = [\"90010\"]\ndatabase = \"sqlite://b.db\"\n";
    let sub = "[[client.hubee]]\nprocess = \"recensementCitoyen\"\nflow = \"RCO-LA\"\nclient_id = \"id\"\nsecret_file = \"s\"\n";
    let hub = "[hubee]\ntoken_url = \"https://auth/oauth2/token\"\napi_url = \"https://api\"\n";
    let load = |t: &str| Config::from_toml(t, Path::new("/etc/msp"), "t".into());
    let c = load(&format!("{hub}{client}{sub}")).unwrap();
    let h = c.hubee.as_ref().unwrap();
    assert_eq!((h.timeout_seconds, h.retries, h.backoff_ms), (30, 4, 500));
    assert_eq!(
        c.clients[0].hubee[0].secret_file.as_deref(),
        Some(Path::new("/etc/msp/s"))
    );
    assert!(load(&format!("{client}{sub}"))
        .unwrap_err()
        .message
        .contains("needs [hubee]"));
    let no_secret = sub.replace("secret_file = \"s\"\n", "");
    assert!(load(&format!("{hub}{client}{no_secret}"))
        .unwrap_err()
        .message
        .contains("secret_env or secret_file"));
    assert!(load(&format!("{hub}{client}{sub}{sub}"))
        .unwrap_err()
        .message
        .contains("two [[client.hubee]]"));
    assert!(c.shown().unwrap().contains("[hubee]"));
}
