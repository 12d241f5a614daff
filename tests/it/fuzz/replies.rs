//! The checker of the stdin fuzzer (`frames.rs` makes the frames): every stdout line must be a
//! JSON-RPC message, no reply an internal error (`-32603`: a handler panicked), and every id a
//! frame owed must get a reply. It also counts the outcomes (results, and errors by code), which
//! shows how deep the frames reached.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};

use serde_json::{json, Value};

/// What the checker found.
#[derive(Debug, Default)]
pub struct Findings {
    pub lines: usize,
    pub replies: usize,
    pub non_json_lines: Vec<String>,
    /// Replies with -32603 (a handler panicked, or the transport failed).
    pub internal_errors: Vec<String>,
    pub malformed_messages: Vec<String>,
    /// How many replies were results, and how many errors of each code: what the frames reached.
    pub outcomes: BTreeMap<String, usize>,
}

/// Reads stdout lines and keeps the books: which owed ids were answered.
pub struct ReplyChecker {
    owed: HashSet<String>,
    answered: HashSet<String>,
    pub findings: Findings,
}

impl Default for ReplyChecker {
    fn default() -> Self {
        ReplyChecker::new()
    }
}

impl ReplyChecker {
    pub fn new() -> ReplyChecker {
        ReplyChecker {
            owed: HashSet::new(),
            answered: HashSet::new(),
            findings: Findings::default(),
        }
    }

    /// Checks every line of `stdout` until it ends (or fails); a line that is not UTF-8 counts as
    /// a non-JSON line.
    pub fn read_all(stdout: impl Read) -> ReplyChecker {
        let mut checker = ReplyChecker::new();
        let mut lines = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            match lines.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return checker,
                Ok(_) => match std::str::from_utf8(&line) {
                    Ok(text) => checker.line(text.trim_end_matches('\n')),
                    Err(_) => checker.line("<not UTF-8>"),
                },
            }
        }
    }

    pub fn expect(&mut self, ids: &[String]) {
        self.owed.extend(ids.iter().cloned());
    }

    pub fn line(&mut self, line: &str) {
        self.findings.lines += 1;
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            self.keep(|findings| &mut findings.non_json_lines, line);
            return;
        };
        match message {
            Value::Array(replies) => replies.iter().for_each(|reply| self.message(reply, line)),
            reply => self.message(&reply, line),
        }
    }

    fn message(&mut self, message: &Value, line: &str) {
        let well_formed = message["jsonrpc"] == "2.0"
            && (message.get("method").is_some()
                || (message.get("id").is_some()
                    && (message.get("result").is_some() != message.get("error").is_some())));
        if !well_formed {
            self.keep(|findings| &mut findings.malformed_messages, line);
            return;
        }
        if message.get("method").is_some() {
            return;
        }
        self.findings.replies += 1;
        let outcome = match message.get("error") {
            Some(error) => error["code"].to_string(),
            None => "result".to_owned(),
        };
        *self.findings.outcomes.entry(outcome).or_default() += 1;
        if message["error"]["code"] == json!(-32603) {
            self.keep(|findings| &mut findings.internal_errors, line);
        }
        self.answered.insert(message["id"].to_string());
    }

    fn keep(&mut self, list: impl Fn(&mut Findings) -> &mut Vec<String>, line: &str) {
        let list = list(&mut self.findings);
        if list.len() < 5 {
            list.push(line.chars().take(300).collect());
        } else {
            list.push(String::new());
        }
    }

    /// The owed ids never answered (at most `limit` of them), and how many there were.
    pub fn unanswered(&self, limit: usize) -> (usize, Vec<String>) {
        let missing: Vec<&String> = self.owed.difference(&self.answered).collect();
        (
            missing.len(),
            missing.into_iter().take(limit).cloned().collect(),
        )
    }

    pub fn owed(&self) -> usize {
        self.owed.len()
    }
}
