//! The prose of `BENCHMARKS.md`: how to run the harness, and the notes that explain the figures,
//! the changes made for them and every missed target. Counts quoted here are callgrind's, which do
//! not move between runs; times are ranges seen over several runs.

/// How to read the figures, what was changed for them, and why a target is missed when it is.
/// Counts quoted here are callgrind's, which do not move between runs.
pub const NOTES: &str = r#"
## Notes

**Runtime flavour of the provider binary.** The binary now runs its handlers on a current-thread
tokio runtime (stdin and stdout keep their own threads; blocking file work goes to tokio's blocking
pool). The provider is I/O bound: a request is microseconds of JSON work and then, for a resource
operation, a wait on KMS, and a multi-thread runtime spends more than that on waking workers across
threads. Before/after, measured with this harness (`kms-bench run --provider <old binary> --only
...`), alternating the two binaries twice in the same session:

| figure | multi-thread (before) | current-thread (after) |
|---|---|---|
| KMS client CPU per signed call, idle VM | 79–87 µs | 49–53 µs |
| KMS client CPU per signed call, other core busy | 26–58 µs | 18–21 µs |
| Python SDK CPU / Rust CPU per call, idle VM / other core busy | 6–7× / 10–18× | 10–12× / 23–27× |
| cold start, median | 1.49 / 1.61 ms | 1.41 / 1.40 ms (two fewer threads to start) |
| pipelined check + diff | 172,977 / 170,698 requests/s | 101,664 / 97,701 requests/s |
| peak RSS, 1,000 in flight | 7.6 / 7.5 MB | 7.0 / 7.0 MB |

The price is pipelined `check`/`diff` throughput, which used both cores for JSON work and now uses
one for it: it stays at twice the target, while the KMS cost per call, which every `create`,
`read`, `update` and `delete` pays, halves. The full test suite passes on the current-thread binary.

**KMS client (CPU per signed call).** Both clients make the same signed `GetClientKey` call, one
after another, on a keep-alive connection to the emulator; each measures only its own process
(`getrusage`), after warming up, so neither start-up nor the emulator's work is counted. The
Python SDK spends ~470–570 µs per call, nearly all of it in user space (the Tea/darabonba request
pipeline, `requests`/`urllib3`, building the response model). The Rust client, on the
current-thread runtime the provider uses:

- **On a busy machine ~18–21 µs, 23–27× less than Python: target met.** 5 syscalls per call
  (strace: `getrandom` for the nonce, `writev`, `epoll_wait`, `recvfrom`, one more `epoll_wait`),
  against the Python SDK's 7; kernel time 3–5 µs.
- **On an otherwise idle VM ~49–53 µs, 10–12× less: target missed.** While a client waits ~30–80 µs
  for the emulator's reply, its core has nothing to run and goes idle; waking it (an interrupt
  into a halted virtual CPU, cold caches) costs tens of microseconds, charged to the client as
  system and user time. Both clients pay it on every call, but it doubles the Rust client's cost
  and adds ~10 % to Python's. The table shows both: the first ratio row is the idle machine, the
  row after it the same clients while a harness thread keeps the other core busy. Runs with a
  `yes` loop or a compile on the other core agree with the second; quiet runs with the first. A
  provider talking to the real KMS waits milliseconds per call, so it pays this wake-up too: the
  idle figure is the honest one for the product, and 20× is out of reach of any client that
  sleeps while it waits, as an async client must.
- User space: ~171,000 instructions per call (callgrind). Of these, reqwest parses the ~470-byte
  signed URL three times per request (`into_url`, its redirect layer's `on_request`, the response
  URL): ~45,000, about a quarter; hyper and reqwest's other per-request layers ~45,000; building
  and signing the request ~36,000 (HMAC-SHA1 over the ~600-byte string to sign ~11,000); decoding
  the reply through `serde_json` ~21,000; allocation ~20 %.
- Changed: the provider's runtime flavour (above), which halves the CPU per call in both
  conditions; the request is built with every parameter percent-encoded once (the canonical query
  doubles as the wire query) and the credentials' scrub list is computed once per client instead
  of per call: 197,000 → 171,000 instructions per call (−13 %). Tried and dropped: decoding success
  replies straight into the typed struct without a `serde_json::Value` tree (two passes over the
  body cost as much as the tree).
- Left: reqwest is the transport issue 3 chose; a transport directly on hyper-util (already the
  engine under reqwest) would save the three URL parses and the tower layers, roughly a third of
  the user-space instructions (~8 µs per call), at the price of redoing timeouts, error
  classification and TLS set-up by hand. It would not close the idle-VM gap, which is the kernel's.

**Cold start.** ~800,000 instructions in user space (callgrind) from exec to exit, including the
`getSchema` reply with the 33 KB schema; the rest of the ~1.2 ms is the kernel's: exec, mapping the
binary and libc, page faults, three thread starts. Of the 800,000, the dynamic loader takes ~460,000
(the native plugin made the binary larger). The reply's `{"schema": ...}` text is escaped at compile
time and spliced into jsonrpsee's reply; escaping it at start-up and jsonrpsee reading the reply again
cost ~700,000 more (1.64 million before issue 20). The Python dynamic-provider host needs ~150–200 ms
to import `pulumi` and `grpc` before it prints its port.

**Python SDK in the `pulumi.dynamic` host.** The host adds 0.7–1 ms to every operation (gRPC in
and out, the host's Python dispatch, our `_provider.py` name mapping and the JSON-RPC hop); the
binary's own `check`, measured from Python over the pipe, is a small part of that path (the
table's row). Like the KMS client, both sides of that row wait for a reply from another process,
so they move with the idle-VM wake-up cost too. The provider's start-up inside the host (~15–30 ms)
is unpickling it (`dill`), our module's import and spawning the binary, after the host's own
start-up.

**Native plugin.** `pulumi-resource-alicloud-kms` is the provider binary started under the
plugin's name (as the npm package and the plugin cache run it) or through the wheel's launcher,
which execs it (a second exec and the launcher's own start: ~1 ms more). Its spawn → port line,
2.5–4 ms, is the binary's cold start plus a loopback listener and the log forwarder, against the
Python host's ~200–250 ms before its port. A `check` through it costs ~70 µs more than the same
`check` over the JSON-RPC pipe (HTTP/2 and gRPC framing, protobuf to JSON and back, a task per
call), against ~0.6–1 ms more through the dynamic host; a `create` is KMS's and the key file's
time whichever way it comes. The gRPC stack lives in the one binary (two copies would not fit in
the wheel's 4 MB): the binary grew from 6.1 to 7.7 MB, and its start-up processes ~4,500 more
relocations and touches ~28 more pages, so the JSON-RPC cold start is ~0.1 ms slower than before
the plugin (1.52 ms against 1.59–1.70 ms, medians of 300 spawns each, the two builds alternated in
one session of a loaded machine; ~60,000 more instructions under callgrind); everything else the
JSON-RPC binary does is the same code (the instructions per `check`/`diff` did not move).

**Fan-out and `create` through the host.** 200 ClientKey `create`s pipelined on one process with
20 ms injected on CreateClientKey (target ≤ 0.5 s: the creates must overlap, not queue); the time
is mostly the emulator making 200 real PKCS#12 key files on the same two cores. The throttled run
answers 30 % of the CreateClientKey calls `Throttling.User`; each is retried after a jittered wait
of 0.5–1 s, then 1–2 s, 2–4 s, ..., so the wall time is set by the unluckiest create (thrown back
three or more times in a row) and moves by seconds, now and then by tens of seconds, between
runs: it is reported, not judged. The row counts the calls the emulator saw. The `create` through
the Python host is compared with the same `create` straight to the binary.

**Emulator.** Its load generator runs on the same two cores, so the figure is a floor.

**Back-pressure and bounded memory.** What the provider holds is counted in bytes (request lines
until they finish; replies, batch members and `log` notifications until written): past 16 MiB the
reader stops reading stdin, and no new line starts while the queued replies alone reach it. A line
runs where it was read until its first pause, so the replies of `check`/`diff`/`getSchema` are
counted before the next line is taken: a 1,000-member `getSchema` batch is ~60 KB in and ~14 MB
out, and counting only input (or lines, as before: 4,096 lines in flight) let one stalled engine
take the provider to 7 GB in 40 s. Now the provider takes a handful of batches, holds about the
budget plus one batch's replies, and stops reading; the engine's writes block. Once stdout is read
again, every member is answered.

**No request stalls the others.** Before, a `check` of 1,000,000 policies took about 2 s (0.7–0.9 s
on this harness's release build) on the one thread that serves the pipe, and a `getPluginInfo`
behind it waited as long. Property values now have size limits (1,000 items per list, 1,000
properties per object, 64 KiB per string, 32 levels, 100,000 values: `provider::limits`), checked
on the JSON before anything else, so the check is refused in one walk; and a request line over
256 KiB for a synchronous handler runs on a blocking thread. What is left before `getPluginInfo`
is reading the 10 MB line and classifying it.

**Pipelined `check` + `diff` after the rpc rework.** Counting bytes first cost a hand-over from
the reader thread and a wake-up of the writer thread per line (124,000 futex calls for 50,000
requests; throughput halved). The reader now hands over all the lines of one read at once, and the
replies of lines that finished where they started go to the writer together, once per chunk: a few
hundred syscalls for 50,000 requests, and in the same session faster than the binary before the
rework (59,000–77,000 against 49,000–53,000 requests/s, on a machine busy with other builds).

**Stdin fuzzer.** `tests/it/fuzz/frames.rs` builds frames from the wire contract: every method's
params from the schema's names with right, wrong and extreme values (secret wrappers, unknown
sentinels, output values, wrong types, odd strings), mutated as JSON, some sent as notifications
or batches, a fifth mutated as raw bytes (flips, newlines, invalid UTF-8, cuts, duplicated chunks,
deep nesting). `configure` always points at the run's emulator, and `cancel` (which stays
tripped) only comes in the last 2 % of the frames, so that the rest reach KMS. The checks: no
panic on stderr, every stdout line a JSON-RPC message, no `-32603`, and a reply to every request
whose envelope was left intact. The suite runs 50,000 frames with another seed.

**`assumeRole`.** Temporary credentials are fetched by the first operation that needs them and
shared: the 200 reads written at once wait for one `AssumeRole` and then all sign with its
session, so the burst costs about the same wall time as with a static key (one STS round trip
more). In the sustained run the emulator makes every issued credential expire four seconds after
issue; the provider refreshes a quarter of the lifetime early (three minutes for real one-hour
credentials), so it calls STS once per refresh period while reads keep flowing. The emulator
writes `Expiration` in whole seconds, which can make a credential look up to a second
shorter-lived, so a period is 2.25 to 3 s and the row's bound allows for the shortest. The
budget holds the burst's count to exactly one call.

**Cold start and the schema.** Start-up does no credential work (nothing is resolved or fetched
before an operation calls KMS). The issue 13 settings made the published schema 42 % longer
(12.6 → 17.9 KB), and the cold start figure includes writing it out as the `getSchema` reply:
~140,000 more instructions (callgrind, 0.92 → 1.07 million when they were added) and ~0.2 ms
more median time than before, measured alternately with the previous binary; spawn →
`getPluginInfo`, which carries no schema, grew by 2 % (a larger binary to map).

Issue 12's two resources (NetworkRule and Policy) took the schema from 20.8 to 27.7 KB, and the
count to 1.36 million instructions (the cold start includes writing the schema out as the reply);
the median cold start of the same run is 1.73 ms, within the 3 ms target.
"#;

/// How to run the harness, beyond the one command.
pub const RUNNING: &str = "
## Running it

- `./scripts/bench.sh`: builds the release binaries, runs everything (about 4 minutes once built),
  rewrites this file. `--quick` takes fewer samples, for trying things out.
- `./scripts/bench.sh --budget`: the budgets only; exit 1 when one is past its limit.
- Before/after a change: keep the old binary, then
  `target/release/kms-bench run --provider OLD_BINARY --only cold-start,throughput,rss --out /tmp/old.md`
  (steps: `size`, `cold-start`, `throughput`, `rss`, `backpressure`, `stall`, `fuzz`, `fan-out`,
  `assume-role`, `kms-cpu`, `emulator`, `python-host`, `instructions`, `packages`,
  `credential-hazards`).
- Needs Linux (`/proc`), Python from `scripts/ensure-python-env.sh` (the official KMS SDK and
  `pulumi`), valgrind for the instruction counts; strace, when installed, adds the syscall counts.
";
