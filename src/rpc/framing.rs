//! Framing: splitting the input byte stream into lines, one JSON-RPC message per line, with a cap
//! on a line's length so that no input can make the server hold unbounded memory.

use std::io::{BufRead, BufReader, ErrorKind, Read};

use tokio::sync::mpsc;

/// One line of input, without its line ending.
#[derive(Debug, PartialEq, Eq)]
pub enum InputLine {
    Text(Vec<u8>),
    /// A line longer than the limit; its bytes were read and dropped. `length` is what was seen.
    TooLong {
        length: usize,
    },
}

/// Reads `input` line by line until end of input and sends each line on. Runs on its own thread
/// (stdin reads block). A final line without a newline is still a line. Ends early if the
/// receiver is gone.
pub fn read_lines(input: impl Read, max_line_bytes: usize, lines: mpsc::Sender<InputLine>) {
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut line = Vec::new();
    // While skipping the rest of an over-long line: how long it has been so far.
    let mut skipped_length: Option<usize> = None;
    loop {
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
        if ends_line && !send_line(&lines, &mut line, &mut skipped_length) {
            return;
        }
    }
    if !line.is_empty() || skipped_length.is_some() {
        send_line(&lines, &mut line, &mut skipped_length);
    }
}

/// Sends the finished line (or its too-long marker). False when the receiver is gone.
fn send_line(
    lines: &mpsc::Sender<InputLine>,
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
    lines.blocking_send(message).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8], max_line_bytes: usize) -> Vec<InputLine> {
        let (sender, mut receiver) = mpsc::channel(1024);
        read_lines(input, max_line_bytes, sender);
        let mut lines = Vec::new();
        while let Ok(line) = receiver.try_recv() {
            lines.push(line);
        }
        lines
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
