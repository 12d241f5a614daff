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

/// Lines are handed over in chunks (all those one read brought in, up to these bounds), so that a
/// pipelined burst costs one hand-over, and one wake-up of the server, per chunk rather than per
/// line.
const CHUNK_LINES: usize = 512;
const CHUNK_BYTES: usize = 64 * 1024;

/// Reads `input` line by line until end of input and sends the lines on in chunks, each line
/// counted in `budget`. Runs on its own thread (stdin reads block). A final line without a newline
/// is still a line. Before each line it waits for room in the budget (handing over what it has
/// first); it ends early if the budget is closed or the receiver is gone.
pub fn read_lines(
    input: impl Read,
    max_line_bytes: usize,
    budget: &Arc<Budget>,
    lines: mpsc::Sender<Vec<ChargedLine>>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut chunk = Chunk::default();
    let mut line = Vec::new();
    // While skipping the rest of an over-long line: how long it has been so far.
    let mut skipped_length: Option<usize> = None;
    loop {
        let at_line_start = line.is_empty() && skipped_length.is_none();
        if at_line_start && !budget.has_room() {
            if !chunk.hand_over(&lines) {
                return;
            }
            if !budget.wait_for_room() {
                return;
            }
        }
        // The next read may block: whatever is complete goes first.
        if reader.buffer().is_empty() && !chunk.hand_over(&lines) {
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
        let (chunk_length, consumed, ends_line) = match memchr::memchr(b'\n', available) {
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
        if ends_line {
            chunk.push(finish_line(budget, &mut line, &mut skipped_length));
            if chunk.is_full() && !chunk.hand_over(&lines) {
                return;
            }
        }
    }
    if !line.is_empty() || skipped_length.is_some() {
        chunk.push(finish_line(budget, &mut line, &mut skipped_length));
    }
    chunk.hand_over(&lines);
}

/// Lines read and not yet handed over.
#[derive(Default)]
struct Chunk {
    lines: Vec<ChargedLine>,
    bytes: usize,
}

impl Chunk {
    fn push(&mut self, line: ChargedLine) {
        if let InputLine::Text(bytes) = &line.0 {
            self.bytes += bytes.len();
        }
        self.lines.push(line);
    }

    fn is_full(&self) -> bool {
        self.lines.len() >= CHUNK_LINES || self.bytes >= CHUNK_BYTES
    }

    /// Sends the lines (if any). False when the receiver is gone.
    fn hand_over(&mut self, lines: &mpsc::Sender<Vec<ChargedLine>>) -> bool {
        if self.lines.is_empty() {
            return true;
        }
        self.bytes = 0;
        lines.blocking_send(std::mem::take(&mut self.lines)).is_ok()
    }
}

/// The finished line (or its too-long marker), counted in the budget.
fn finish_line(
    budget: &Arc<Budget>,
    line: &mut Vec<u8>,
    skipped_length: &mut Option<usize>,
) -> ChargedLine {
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
    (message, charge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8], max_line_bytes: usize) -> Vec<InputLine> {
        let (sender, mut receiver) = mpsc::channel(1024);
        let budget = Budget::new(usize::MAX);
        read_lines(input, max_line_bytes, &budget, sender);
        let mut lines = Vec::new();
        while let Ok(chunk) = receiver.try_recv() {
            lines.extend(chunk.into_iter().map(|(line, _charge)| line));
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
        // The first line fits (the budget was empty) and fills the budget: the reader hands it
        // over and waits before the second.
        let mut first = receiver.blocking_recv().unwrap();
        assert_eq!(first.len(), 1);
        let (line, charge) = first.remove(0);
        assert_eq!(line, text("0123456789ab"));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(receiver.try_recv().is_err(), "read past a spent budget");
        drop(charge);
        let second = receiver.blocking_recv().unwrap();
        assert_eq!(second[0].0, text("second"));
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
