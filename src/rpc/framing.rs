//! Framing: splitting the input byte stream into lines, one JSON-RPC message per line, with a cap
//! on a line's length so that no input can make the server hold unbounded memory, and a wait for
//! room in the byte budget before each line, so that the server stops reading while it holds as
//! much as it may.

use std::io::{BufRead, BufReader, ErrorKind, Read};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::budget::{Budget, Charge};

/// One line of input, without its line ending.
#[derive(Debug, PartialEq, Eq)]
pub enum InputLine {
    Text(Vec<u8>),
    /// A line longer than the limit; its bytes were read and dropped. `length` is what was seen.
    TooLong {
        length: usize,
    },
}

/// A line and its bytes counted in the budget.
pub type ChargedLine = (InputLine, Charge);

/// Reads `input` line by line until end of input and sends each line on, counted in `budget`.
/// Runs on its own thread (stdin reads block). A final line without a newline is still a line.
/// Before each line it waits for room in the budget; it ends early if the budget is closed or the
/// receiver is gone.
pub fn read_lines(
    input: impl Read,
    max_line_bytes: usize,
    budget: &Arc<Budget>,
    lines: mpsc::Sender<ChargedLine>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut line = Vec::new();
    // While skipping the rest of an over-long line: how long it has been so far.
    let mut skipped_length: Option<usize> = None;
    loop {
        let at_line_start = line.is_empty() && skipped_length.is_none();
        if at_line_start && !budget.wait_for_room() {
            return;
        }
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => {
                // A read error is treated as the end of input: there is nothing more to read.
                tracing::error!("reading the input failed, treating it as its end: {error}");
                break;
            }
        };
        if available.is_empty() {
            break;
        }
        let (chunk_length, consumed, ends_line) =
            match available.iter().position(|byte| *byte == b'\n') {
                Some(newline) => (newline, newline + 1, true),
                None => (available.len(), available.len(), false),
            };
        match skipped_length.as_mut() {
            Some(length) => *length += chunk_length,
            None if line.len() + chunk_length > max_line_bytes => {
                skipped_length = Some(line.len() + chunk_length);
                // Give the memory back at once rather than at the end of the line.
                line = Vec::new();
            }
            None => line.extend_from_slice(&available[..chunk_length]),
        }
        reader.consume(consumed);
        if ends_line && !send_line(budget, &lines, &mut line, &mut skipped_length) {
            return;
        }
    }
    if !line.is_empty() || skipped_length.is_some() {
        send_line(budget, &lines, &mut line, &mut skipped_length);
    }
}

/// Sends the finished line (or its too-long marker). False when the receiver is gone.
fn send_line(
    budget: &Arc<Budget>,
    lines: &mpsc::Sender<ChargedLine>,
    line: &mut Vec<u8>,
    skipped_length: &mut Option<usize>,
) -> bool {
    let message = match skipped_length.take() {
        Some(length) => InputLine::TooLong { length },
        None => {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            InputLine::Text(std::mem::take(line))
        }
    };
    let charge = budget.charge_input(match &message {
        InputLine::Text(bytes) => bytes.len(),
        InputLine::TooLong { .. } => 0,
    });
    lines.blocking_send((message, charge)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8], max_line_bytes: usize) -> Vec<InputLine> {
        let (sender, mut receiver) = mpsc::channel(1024);
        let budget = Budget::new(usize::MAX);
        read_lines(input, max_line_bytes, &budget, sender);
        let mut lines = Vec::new();
        while let Ok((line, _charge)) = receiver.try_recv() {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn reading_stops_while_the_budget_is_spent() {
        let (sender, mut receiver) = mpsc::channel(1024);
        let budget = Budget::new(10);
        let reader = {
            let budget = budget.clone();
            std::thread::spawn(move || {
                read_lines(&b"0123456789ab\nsecond\n"[..], 100, &budget, sender)
            })
        };
        // The first line fits (the budget was empty) and fills the budget: the reader waits
        // before the second.
        let (first, charge) = receiver.blocking_recv().unwrap();
        assert_eq!(first, text("0123456789ab"));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(receiver.try_recv().is_err(), "read past a spent budget");
        drop(charge);
        let (second, _charge) = receiver.blocking_recv().unwrap();
        assert_eq!(second, text("second"));
        reader.join().unwrap();
    }

    fn text(line: &str) -> InputLine {
        InputLine::Text(line.as_bytes().to_vec())
    }

    #[test]
    fn splits_on_newlines_and_keeps_a_last_line_without_one() {
        assert_eq!(
            lines_of(b"a\nbb\r\n\nccc", 100),
            vec![text("a"), text("bb"), text(""), text("ccc")]
        );
        assert_eq!(lines_of(b"", 100), vec![]);
    }

    #[test]
    fn over_long_lines_become_markers_and_reading_goes_on() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 200_000));
        input.extend(b"\nafter\n");
        input.extend(std::iter::repeat_n(b'y', 11));
        let lines = lines_of(&input, 10);
        assert_eq!(
            lines,
            vec![
                text("short"),
                InputLine::TooLong { length: 200_000 },
                text("after"),
                InputLine::TooLong { length: 11 }
            ]
        );
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept() {
        assert_eq!(lines_of(b"0123456789\n", 10), vec![text("0123456789")]);
    }
}
