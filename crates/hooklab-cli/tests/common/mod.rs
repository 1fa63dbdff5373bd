//! Shared support for the CLI's tests: running `hooklab` and a `hooklab serve` child process.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A test signing secret (Svix's published vector secret).
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A temp dir with a database and a settings file that never touch the user's own.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("hooklab.db")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("settings.json")
    }

    /// `hooklab` with `--db`, `--config` and no secret from the environment.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hooklab"));
        c.arg("--db")
            .arg(self.db())
            .arg("--config")
            .arg(self.config())
            .env_remove("CLERK_WEBHOOK_SECRET")
            .env_remove("CLERK_WEBHOOK_SIGNING_SECRET");
        c
    }

    /// `hooklab` with only `--config` (for commands that refuse `--db`).
    pub fn command_without_db(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hooklab"));
        c.arg("--config")
            .arg(self.config())
            .env_remove("CLERK_WEBHOOK_SECRET")
            .env_remove("CLERK_WEBHOOK_SIGNING_SECRET");
        c
    }

    /// Runs `hooklab ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Starts `hooklab serve --port 0 ARGS`; returns once it prints its URL.
    pub fn serve(&self, args: &[&str]) -> Server {
        let mut server = self.spawn(&[&["serve", "--port", "0"], args].concat());
        server.url = loop {
            let line = server
                .rx
                .recv_timeout(Duration::from_secs(30))
                .expect("serve printed no URL");
            let found = line
                .split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1:"))
                .map(str::to_owned);
            server.lines.push(line);
            if let Some(url) = found {
                break url;
            }
        };
        server
    }

    /// Starts `hooklab ARGS` in the background, its stdout read line by line.
    pub fn spawn(&self, args: &[&str]) -> Server {
        let mut child = self
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    // The test stopped listening; keep draining so the child never sees EPIPE.
                    continue;
                }
            }
        });
        Server {
            child,
            url: String::new(),
            lines: Vec::new(),
            rx,
        }
    }
}

/// A running `hooklab serve` (or another long-running command, with no URL).
pub struct Server {
    pub child: Child,
    pub url: String,
    pub lines: Vec<String>,
    rx: mpsc::Receiver<String>,
}

impl Server {
    /// Every line printed so far (waits briefly for late ones).
    pub fn output(&mut self) -> String {
        while let Ok(line) = self.rx.recv_timeout(Duration::from_millis(300)) {
            self.lines.push(line);
        }
        self.lines.join("\n")
    }

    /// Waits for a printed line containing `text`.
    pub fn wait_for(&mut self, text: &str) -> bool {
        if self.lines.iter().any(|l| l.contains(text)) {
            return true;
        }
        while let Ok(line) = self.rx.recv_timeout(Duration::from_secs(10)) {
            let hit = line.contains(text);
            self.lines.push(line);
            if hit {
                return true;
            }
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses stdout as JSON (the last line when several).
pub fn json(output: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// True when a file exists at `path`.
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// A stand-in for the user's app: answers every request `202 queued` and hands over each body.
pub fn start_app() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/api/webhooks/clerk",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
            let _ = stream.write_all(
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 6\r\nconnection: close\r\n\r\nqueued",
            );
        }
    });
    (url, rx)
}
