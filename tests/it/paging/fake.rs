//! Fake providers on loopback: a Twilio-compatible API (Messages.json,
//! Calls.json), Slack's chat.postMessage, chat.update and
//! usergroups.users.update, and a webhook receiver, in one
//! server that records what it receives and can be told to fail (503) or
//! hang on a share of requests.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    /// sms, voice, chat, chat_update, usergroup or webhook
    pub kind: String,
    /// The phone number, Slack channel or webhook path.
    pub to: String,
    /// SMS body, chat text, TwiML, or the webhook's JSON.
    pub text: String,
    pub idempotency_key: String,
    pub body: Value,
    pub headers: HeaderMap,
}

#[derive(Default)]
pub struct Faults {
    /// Share of requests answered 503, and share that hang.
    pub fail: f64,
    pub hang: f64,
}

#[derive(Clone, Default)]
pub struct Fake {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub faults: Arc<Mutex<Faults>>,
    pub failed: Arc<Mutex<usize>>,
}

impl Fake {
    pub async fn start() -> Fake {
        let mut fake = Fake::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        fake.url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Router::new().fallback(record).with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    pub fn to(&self, kind: &str, to: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|r| r.kind == kind && r.to == to)
            .collect()
    }

    pub fn count(&self) -> usize {
        self.got.lock().expect("lock").len()
    }
}

async fn record(State(f): State<Fake>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let roll: f64 = rand::random();
    let (fail, hang) = {
        let fl = f.faults.lock().expect("lock");
        (fl.fail, fl.hang)
    };
    if roll < hang {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    } else if roll < hang + fail {
        *f.failed.lock().expect("lock") += 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
    }
    let path = uri.path().to_string();
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let idem = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (kind, to, text, answer) = if path.ends_with("/Messages.json") {
        (
            "sms",
            get("To"),
            get("Body"),
            json!({ "sid": format!("SM{idem}") }),
        )
    } else if path.ends_with("/Calls.json") {
        (
            "voice",
            get("To"),
            get("Twiml"),
            json!({ "sid": format!("CA{idem}") }),
        )
    } else if path.ends_with("/chat.update") {
        let ch = json_body["channel"].as_str().unwrap_or("").to_string();
        let text = json_body["text"].as_str().unwrap_or("").to_string();
        let answer = json!({ "ok": true, "channel": ch, "ts": json_body["ts"] });
        ("chat_update", ch, text, answer)
    } else if path.ends_with("/usergroups.users.update") {
        let group = json_body["usergroup"].as_str().unwrap_or("").to_string();
        let users = json_body["users"].as_str().unwrap_or("").to_string();
        let answer = json!({ "ok": true, "usergroup": { "id": group, "users": users.split(',').collect::<Vec<_>>() } });
        ("usergroup", group, users, answer)
    } else if path.ends_with("/chat.postMessage") {
        let ch = json_body["channel"].as_str().unwrap_or("").to_string();
        let text = json_body["text"].as_str().unwrap_or("").to_string();
        let answer = json!({ "ok": true, "channel": ch, "ts": "1700000000.000100" });
        ("chat", ch, text, answer)
    } else {
        (
            "webhook",
            path.clone(),
            json_body.to_string(),
            json!({ "ok": true }),
        )
    };
    f.got.lock().expect("lock").push(Received {
        kind: kind.into(),
        to,
        text,
        idempotency_key: idem,
        body: if json_body.is_null() {
            json!(form)
        } else {
            json_body
        },
        headers,
    });
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

/// A fake SMTP server on loopback: accepts every message and keeps its
/// envelope recipient and text (quoted-printable soft breaks undone).
#[derive(Clone, Default)]
pub struct FakeSmtp {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let smtp = FakeSmtp {
            port: listener.local_addr().expect("addr").port(),
            mails: Default::default(),
        };
        let mails = smtp.mails.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let mails = mails.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 fake ESMTP\r\n").await;
                    let (mut to, mut data, mut in_data) = (String::new(), String::new(), false);
                    while let Ok(Some(line)) = lines.next_line().await {
                        if in_data {
                            if line == "." {
                                in_data = false;
                                let text = data.replace("=\n", "").replace("=3D", "=");
                                mails.lock().expect("lock").push((to.clone(), text));
                                data.clear();
                                let _ = w.write_all(b"250 queued\r\n").await;
                            } else {
                                data.push_str(&line);
                                data.push('\n');
                            }
                            continue;
                        }
                        let upper = line.to_uppercase();
                        let answer: &[u8] =
                            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                                b"250 fake\r\n"
                            } else if upper.starts_with("RCPT TO:") {
                                to = line[8..].trim().trim_matches(['<', '>']).to_string();
                                b"250 ok\r\n"
                            } else if upper.starts_with("DATA") {
                                in_data = true;
                                b"354 go on\r\n"
                            } else if upper.starts_with("QUIT") {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                break;
                            } else {
                                b"250 ok\r\n"
                            };
                        let _ = w.write_all(answer).await;
                    }
                });
            }
        });
        smtp
    }

    pub fn mails(&self) -> Vec<(String, String)> {
        self.mails.lock().expect("lock").clone()
    }
}
