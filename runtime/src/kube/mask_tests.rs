//! One test per shape the heuristics mask, and the ordinary values they keep.

use super::*;
use serde_json::json;

const R: &str = REDACTED;

fn masked(text: &str) -> String {
    mask_text(text).unwrap_or_else(|| panic!("nothing masked in {text:?}"))
}

fn kept(text: &str) {
    assert_eq!(mask_text(text), None, "{text:?} was masked");
}

#[test]
fn url_userinfo_passwords() {
    assert_eq!(masked("postgres://u:p@h/db"), format!("postgres://u:{R}@h/db"));
    assert_eq!(masked("redis://:s3cret@cache:6379/0"), format!("redis://:{R}@cache:6379/0"));
    assert_eq!(masked("amqp://guest:p@ss@mq"), format!("amqp://guest:{R}@mq"), "the last @ ends the userinfo");
    assert_eq!(
        masked("DATABASE_URL=mysql://app:hunter2@db:3306/shop and https://x:tok@git.example.com/r.git"),
        format!("DATABASE_URL=mysql://app:{R}@db:3306/shop and https://x:{R}@git.example.com/r.git")
    );
}

#[test]
fn password_and_token_arguments() {
    assert_eq!(masked("--password=hunter2"), format!("--password={R}"));
    assert_eq!(masked("--token=abc.def"), format!("--token={R}"));
    assert_eq!(masked("mysqld --db-password=x1 --port=3306"), format!("mysqld --db-password={R} --port=3306"));
    assert_eq!(masked("--api-key='k 1'"), format!("--api-key='{R}'"));
    assert_eq!(
        masked("sh -c 'mysql -u root --password hunter2 -h db'"),
        format!("sh -c 'mysql -u root --password {R} -h db'")
    );
    assert_eq!(masked("app --token t0k;"), format!("app --token {R};"));
    kept("app --password --verbose --token-file /var/run/t --port 80");
    let mut args = vec![json!("--password"), json!("hunter2"), json!("--verbose"), json!("--token=t0k")];
    assert!(mask_args(&mut args));
    assert_eq!(args, vec![json!("--password"), json!(R), json!("--verbose"), json!(format!("--token={R}"))]);
}

#[test]
fn properties_and_env_files() {
    let props =
        "spring.datasource.url=jdbc:postgresql://db/shop\nspring.datasource.password=hunter2\nserver.port=8080\n";
    assert_eq!(
        masked(props),
        format!("spring.datasource.url=jdbc:postgresql://db/shop\nspring.datasource.password={R}\nserver.port=8080\n")
    );
    let env = "LOG_LEVEL=info\nexport API_TOKEN=\"t0k\"\nDB_PASSWORD=a b c # comment\n";
    assert_eq!(masked(env), format!("LOG_LEVEL=info\nexport API_TOKEN=\"{R}\"\nDB_PASSWORD={R} # comment\n"));
    assert_eq!(
        masked("jdbc:mysql://db/x?user=u&password=p&ssl=true"),
        format!("jdbc:mysql://db/x?user=u&password={R}&ssl=true")
    );
}

#[test]
fn yaml_content() {
    let yaml = "spring:\n  datasource:\n    username: app\n    password: my secret phrase\n  client-secret: \"s\"\nkey: |\n  multi\n";
    assert_eq!(
        masked(yaml),
        format!(
            "spring:\n  datasource:\n    username: app\n    password: {R}\n  client-secret: \"{R}\"\nkey: |\n  multi\n"
        )
    );
    let block = "tls:\n  privateKey: |\n    -----BEGIN KEY-----\n    abc\n  port: 443\n";
    assert_eq!(masked(block), format!("tls:\n  privateKey: |\n    {R}\n    {R}\n  port: 443\n"));
    assert_eq!(masked("- token: t0k\n"), format!("- token: {R}\n"));
    assert_eq!(masked("{user: u, password: p}"), format!("{{user: u, password: {R}}}"));
}

#[test]
fn json_content() {
    assert_eq!(masked(r#"{"user":"u","password":"p\"q","n":1}"#), format!(r#"{{"user":"u","password":"{R}","n":1}}"#));
    assert_eq!(masked("{\n  \"apiKey\": 12345,\n  \"x\": 1\n}"), format!("{{\n  \"apiKey\": {R},\n  \"x\": 1\n}}"));
    assert_eq!(masked(r#"{"auth": {"token": "t"}}"#), format!(r#"{{"auth": {{"token": "{R}"}}}}"#));
}

#[test]
fn ordinary_values_are_kept() {
    for text in [
        "nginx:1.25",
        "https://example.com/path?q=1",
        "ssh://git@github.com/org/repo.git",
        "http://user@host/",
        "server.port=8080\nlog.level=debug\n",
        "Reset your password: see the docs",
        "passwords are rotated weekly",
        "token_url: https://auth.example.com/token\nsecretName: db-creds\nTOKEN_FILE=/var/run/token\n",
        "--token-file=/var/run/secrets/token",
        "password: ${DB_PASSWORD}\ntoken=$(TOKEN)\nsecret: {{ .Values.secret }}\n",
        "password:\n  valueFrom: vault\n",
        "time: 12:30:00\nimage: registry:5000/app:v1\n",
        "",
    ] {
        kept(text);
    }
    assert!(!looks_like_credential("secretName") && !looks_like_credential("DB_PASSWORD_FILE"));
    assert!(looks_like_credential("SECRET_KEY_BASE") && looks_like_credential("client-secret"));
    assert!(looks_like_credential("aws_secret_access_key") && looks_like_credential("tokenValue"));
}

#[test]
fn objects_mask_env_args_and_urls() {
    let mut pod = json!({"kind": "Pod", "spec": {"containers": [{
        "command": ["sh", "-c", "psql postgres://app:pw1@db/x --password=pw2"],
        "args": ["--token", "pw3", "--mode=fast"],
        "env": [{"name": "DATABASE_URL", "value": "postgres://app:pw4@db/x"}, {"name": "MODE", "value": "fast"},
                {"name": "DB_PASSWORD", "value": "pw5"}],
        "image": "app:1"}],
        "initContainers": [{"image": "busybox", "env": [{"name": "TOKEN_PATH", "value": "/t"}]}]},
        "metadata": {"annotations": {"endpoint": "https://svc:pw6@api.example.com"}}});
    assert!(mask_object(&mut pod));
    let text = pod.to_string();
    for pw in ["pw1", "pw2", "pw3", "pw4", "pw5", "pw6"] {
        assert!(!text.contains(pw), "{pw} left in {text}");
    }
    for kept in ["fast", "app:1", "busybox", "/t", "api.example.com", "--token", "sh"] {
        assert!(text.contains(kept), "{kept} lost from {text}");
    }
    let mut plain = json!({"spec": {"containers": [{"args": ["--port=80"], "env": [{"name": "A", "value": "b"}]}]}});
    assert!(!mask_object(&mut plain));
}

#[test]
fn configmap_data_of_every_shape() {
    let mut cm = json!({"kind": "ConfigMap", "data": {
        "application.properties": "db.password=pw1\nport=80",
        "application.yaml": "db:\n  password: pw2\n  port: 80\n",
        "config.json": "{\"token\": \"pw3\", \"port\": 80}",
        ".env": "API_KEY=pw4\nPORT=80\n",
        "db_url": "postgres://u:pw5@db/x",
        "smtp_password": "pw6",
        "mode": "fast"}});
    assert!(mask_configmap_data(&mut cm));
    let text = cm.to_string();
    for pw in ["pw1", "pw2", "pw3", "pw4", "pw5", "pw6"] {
        assert!(!text.contains(pw), "{pw} left in {text}");
    }
    assert_eq!(cm["data"]["mode"], "fast");
    assert!(cm["data"]["application.yaml"].as_str().unwrap().contains("port: 80"));
}
