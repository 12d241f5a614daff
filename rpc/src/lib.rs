//! The stdio transport: one compact JSON value per line in each direction, a read → dispatch →
//! write loop over a jsonrpsee `Methods` table, concurrent requests with out-of-order replies, one
//! writer, batches, notifications, and a drain at end of input.
//!
//! It knows JSON-RPC, not the provider: it imports nothing from the rest of the crate. What
//! jsonrpsee's `raw_json_request` does not do is done here: `-32700` for unparsable lines, batches,
//! notifications (run, never answered), `-32600` for an empty batch or an over-long line, and a
//! `-32603` reply when a handler panics.

mod budget;
mod dispatch;
mod envelope;
mod framing;
mod handler;
mod in_flight;
mod outgoing;
mod server;

pub use outgoing::{outgoing_queue, ClientNotifier, OutgoingQueue, UndeliverableLines};
pub use server::{serve, Ending, ServerOptions, ShutdownReply, TransportError};
