//! The stdio transport: one compact JSON value per line in each direction, a read → dispatch →
//! write loop over a jsonrpsee `Methods` table, concurrent requests with out-of-order replies, one
//! writer, batches, notifications, and a drain at end of input.
//!
//! It knows JSON-RPC, not the provider: a crate of its own, it depends on no crate of the
//! workspace. Each message is parsed once, here (`envelope`), and its method's callback in the
//! jsonrpsee table is called with jsonrpsee's `Id` and the params as they stand in the message.
//! What jsonrpsee's method table does not do is done here: `-32700` for unparsable lines, batches,
//! notifications (run, never answered), `-32600` for an empty batch or an over-long line, and a
//! `-32603` reply when a handler panics.

mod budget;
mod dispatch;
mod envelope;
mod framing;
mod handler;
mod in_flight;
mod outgoing;
mod prebuilt;
mod server;
mod wellformed;

pub use handler::call;
pub use outgoing::{outgoing_queue, ClientNotifier, OutgoingQueue, UndeliverableLines};
pub use prebuilt::{register_prebuilt_method, PrebuiltResult};
pub use server::{serve, Ending, ServerOptions, ShutdownReply, TransportError};
