//! `kms-bench budget`: the figures that can be held against a budget on a shared machine —
//! counts (bytes, instructions) and same-run ratios, never absolute times — each with a margin
//! wide enough that noise cannot fail it and a real regression does.

use std::time::Duration;

use crate::emulator::Emulator;
use crate::run::{self, cpu_ratio, Instructions, Paths, Sizes};
use crate::{protocol, BenchError, Options};

/// Whether larger or smaller is better.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    AtMost,
    AtLeast,
}

/// One budget.
pub struct Budget {
    pub name: &'static str,
    pub limit: f64,
    pub direction: Direction,
    pub unit: &'static str,
    /// Where the limit comes from.
    pub basis: &'static str,
}

impl Budget {
    pub fn holds(&self, value: f64) -> bool {
        match self.direction {
            Direction::AtMost => value <= self.limit,
            Direction::AtLeast => value >= self.limit,
        }
    }
}

pub const BINARY_SIZE: Budget = Budget {
    name: "release binary size",
    limit: 10e6,
    direction: Direction::AtMost,
    unit: "bytes",
    basis: "the issue's target (10 MB); the size is exact",
};
pub const PEAK_RSS: Budget = Budget {
    name: "peak RSS, 1,000 requests in flight",
    limit: 20e6,
    direction: Direction::AtMost,
    unit: "bytes",
    basis: "the issue's target (20 MB); varies by well under 1 MB between runs",
};
pub const CPU_RATIO: Budget = Budget {
    name: "Python SDK CPU / Rust client CPU per KMS call (provider's runtime, other core busy)",
    limit: 8.0,
    direction: Direction::AtLeast,
    unit: "×",
    basis: "measured with the other core kept busy, 23–27× when set (10–12× on an idle VM, see the notes): only a client that lost two thirds of its lead fails; the instruction count below is the precise guard",
};
pub const COLD_START_INSTRUCTIONS: Budget = Budget {
    name: "instructions: spawn, getSchema, exit",
    limit: 1_000_000.0,
    direction: Direction::AtMost,
    unit: "instructions",
    basis: "issue 20's target; measured 796,980 and 809,254 when set (the getSchema reply escaped at compile time); callgrind counts repeat to within a few percent",
};
pub const CHECK_DIFF_INSTRUCTIONS: Budget = Budget {
    name: "instructions per pipelined check/diff request",
    limit: 45_000.0,
    direction: Direction::AtMost,
    unit: "instructions",
    basis: "issue 20's target; measured 42,421-42,459 when set (44,674-44,676 before the envelope found the params' end without serde_json; 65,195 before params were read straight into property values and replies written once), which leaves callgrind's few percent; difference of 2,000 requests and none, so start-up is left out",
};
pub const KMS_CALL_INSTRUCTIONS: Budget = Budget {
    name: "instructions per signed KMS call (Rust client)",
    limit: 300_000.0,
    direction: Direction::AtMost,
    unit: "instructions",
    basis: "measured 170,699 when set (197,133 before the signing change); difference of 320 calls and 20",
};

pub const ASSUME_ROLE_BURST_CALLS: Budget = Budget {
    name: "AssumeRole calls for 200 concurrent reads with assumeRole",
    limit: 1.0,
    direction: Direction::AtMost,
    unit: "calls",
    basis: "issue 13: one STS call per expiry period however many operations run at once; a count, exact",
};

pub const WHEEL_SIZE: Budget = Budget {
    name: "Python wheel size (compressed, with the binary)",
    limit: 4e6,
    direction: Direction::AtMost,
    unit: "bytes",
    basis: "the packaging issue's target (4 MB); the size is exact (2.5 MB when set)",
};

pub const BUDGETS: [&Budget; 8] = [
    &BINARY_SIZE,
    &WHEEL_SIZE,
    &PEAK_RSS,
    &CPU_RATIO,
    &COLD_START_INSTRUCTIONS,
    &CHECK_DIFF_INSTRUCTIONS,
    &KMS_CALL_INSTRUCTIONS,
    &ASSUME_ROLE_BURST_CALLS,
];

/// The table's verdict on the instruction counts.
pub fn verdict_of_instructions(counts: &Instructions) -> String {
    let over: Vec<&str> = [
        (&COLD_START_INSTRUCTIONS, counts.cold_start as f64),
        (&CHECK_DIFF_INSTRUCTIONS, counts.per_check_or_diff),
        (&KMS_CALL_INSTRUCTIONS, counts.per_kms_call),
    ]
    .into_iter()
    .filter(|(budget, value)| !budget.holds(*value))
    .map(|(budget, _)| budget.name)
    .collect();
    if over.is_empty() {
        "within budget".to_owned()
    } else {
        format!("**over budget**: {}", over.join(", "))
    }
}

fn show(budget: &Budget, value: f64) -> String {
    match budget.unit {
        "×" => format!("{value:.1}×"),
        unit => format!("{} {unit}", crate::stats::show_count(value)),
    }
}

/// The budget section of `BENCHMARKS.md`.
pub fn markdown_section() -> String {
    let mut text = String::from(
        "\n## Budgets\n\n`./scripts/bench.sh --budget` (`kms-bench budget`) measures only these and exits 1 when one is past\nits limit. They are counts and same-run ratios, with margins wide enough that a busy machine\ncannot fail them. CI runs it as `scripts/test.d/60-bench-budget.sh`, after\n`scripts/test.d/50-artefacts.sh`: it measures the binary `scripts/package.sh` packaged (and its\nwheel), and builds the harness on that same release build (only `kms-bench` itself compiles), so\na test run has one release build; the emulator is the debug one the test step built.\n\n| Budget | Limit | Basis |\n|---|---|---|\n",
    );
    for budget in BUDGETS {
        let limit = match budget.direction {
            Direction::AtMost => format!("≤ {}", show(budget, budget.limit)),
            Direction::AtLeast => format!("≥ {}", show(budget, budget.limit)),
        };
        text.push_str(&format!(
            "| {} | {limit} | {} |\n",
            budget.name, budget.basis
        ));
    }
    text
}

/// Measures every budgeted figure; `Ok(false)` when one is past its budget.
pub fn check(options: &Options) -> Result<bool, BenchError> {
    let paths = Paths::new(options)?;
    let mut results: Vec<(&Budget, f64)> = Vec::new();
    let say = |message: &str| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "--> {message}");
    };

    say("release binary size");
    results.push((&BINARY_SIZE, run::binary_size(&paths.provider)? as f64));
    say("Python wheel size (dist/, from scripts/package.sh)");
    results.push((
        &WHEEL_SIZE,
        crate::packages::wheel_size(&paths.root)? as f64,
    ));
    say("peak RSS with 1,000 requests in flight");
    let memory =
        protocol::peak_memory(&paths.provider_command(), 1000, Duration::from_millis(1500))?;
    results.push((&PEAK_RSS, memory.peak_bytes as f64));

    // The release emulator when it is built, else the debug one the test suite built: only the
    // clients' CPU is measured, so the emulator's speed does not enter the figures.
    let emulator_binary = [
        paths.emulator.clone(),
        paths.root.join("target/debug/kms-emulator"),
    ]
    .into_iter()
    .find(|path| path.exists())
    .ok_or_else(|| {
        BenchError::new("no kms-emulator binary: build it (cargo build -p kms-emulator)")
    })?;
    let emulator = Emulator::start(&emulator_binary)?;
    say("assumeRole: STS calls for 200 concurrent reads");
    let assume_role = crate::assume_role::measure(
        &paths.provider_command(),
        &emulator,
        200,
        Duration::from_secs(2),
    )?;
    results.push((&ASSUME_ROLE_BURST_CALLS, assume_role.burst_sts_calls as f64));
    say("KMS client CPU per signed call vs the Python SDK");
    let mut sizes = Sizes::quick();
    sizes.kms_rounds = 3;
    // Enough calls for half a second of the Rust client's CPU: its clock ticks are 10 ms.
    sizes.rust_calls = 20_000;
    // With the other core kept busy: the ratio then does not depend on whether the VM's cores
    // happen to go idle between request and reply (see the notes), so the margin can be wider.
    let kms = crate::kms_cpu::measure_kms_cpu(&paths, &emulator, &sizes, false, true)?;
    let python = kms.python.map_err(|reason| {
        BenchError::new(format!("the CPU ratio needs the Python SDK: {reason}"))
    })?;
    results.push((&CPU_RATIO, cpu_ratio(&python, &kms.rust_current_thread)));
    say("instruction counts (callgrind)");
    let counts = run::measure_instructions(&paths, &emulator)?;
    results.push((&COLD_START_INSTRUCTIONS, counts.cold_start as f64));
    results.push((&CHECK_DIFF_INSTRUCTIONS, counts.per_check_or_diff));
    results.push((&KMS_CALL_INSTRUCTIONS, counts.per_kms_call));
    drop(emulator);

    let mut all_hold = true;
    let mut report = String::from("| Budget | Measured | Limit | |\n|---|---|---|---|\n");
    for (budget, value) in results {
        let holds = budget.holds(value);
        all_hold &= holds;
        let limit = match budget.direction {
            Direction::AtMost => format!("≤ {}", show(budget, budget.limit)),
            Direction::AtLeast => format!("≥ {}", show(budget, budget.limit)),
        };
        report.push_str(&format!(
            "| {} | {} | {limit} | {} |\n",
            budget.name,
            show(budget, value),
            if holds { "ok" } else { "OVER BUDGET" }
        ));
    }
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{report}");
    Ok(all_hold)
}
