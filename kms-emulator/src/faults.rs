//! Fault injection: per-action (or all-action) latency, throttling, 5xx answers, hangs,
//! "commit then drop the connection" and "drop the connection, deliver the request late",
//! settable at start and at run time.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::actions::Action;
use crate::error::FaultError;

/// The key that applies a fault specification to every action without one of its own.
pub const ALL_ACTIONS: &str = "*";

/// What to do to the calls of one action (or of all actions). Ratios are probabilities per call
/// and are exclusive of each other (their sum must not exceed 1): one random draw per call picks
/// at most one of hang, throttle, server error, drop-after-commit and late delivery. A ratio of 1.0, or `times`,
/// makes the outcome deterministic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSpec {
    /// Delay added before the call is handled, in milliseconds.
    pub latency_ms: u64,
    /// Share of calls answered `Throttling.User` (the action does not run).
    pub throttle_ratio: f64,
    /// Share of calls answered with a 5xx error (the action does not run).
    pub server_error_ratio: f64,
    /// Status of those errors: 503 answers `ServiceUnavailableTemporary`, any other 5xx
    /// `InternalFailure`. Default 500.
    pub server_error_status: Option<u16>,
    /// Share of calls whose action runs (and commits) but whose connection is then closed
    /// without a response.
    pub drop_after_commit_ratio: f64,
    /// Share of calls that hang: the action does not run, the connection stays silent for
    /// `hang_ms` and is then closed without a response.
    pub hang_ratio: f64,
    /// How long a hang lasts, in milliseconds (required when `hang_ratio` is set).
    pub hang_ms: u64,
    /// Share of calls whose connection is closed at once without a response, and whose action
    /// runs (and commits) `deliver_late_ms` later: a request a middlebox delivers after the
    /// client gave up on it.
    pub deliver_late_ratio: f64,
    /// How much later a late delivery runs the action, in milliseconds (required when
    /// `deliver_late_ratio` is set).
    pub deliver_late_ms: u64,
    /// When set, the specification applies to this many more calls and then removes itself
    /// ("fail the next N calls").
    pub times: Option<u32>,
}

impl FaultSpec {
    /// Checks the ratios and the hang duration.
    pub fn validate(&self) -> Result<(), FaultError> {
        let ratios = [
            ("throttle_ratio", self.throttle_ratio),
            ("server_error_ratio", self.server_error_ratio),
            ("drop_after_commit_ratio", self.drop_after_commit_ratio),
            ("hang_ratio", self.hang_ratio),
            ("deliver_late_ratio", self.deliver_late_ratio),
        ];
        for (name, ratio) in ratios {
            if !(0.0..=1.0).contains(&ratio) {
                return Err(FaultError::Invalid(format!(
                    "{name} must be between 0 and 1, got {ratio}"
                )));
            }
        }
        let sum: f64 = ratios.iter().map(|(_, ratio)| ratio).sum();
        if sum > 1.0 + 1e-9 {
            return Err(FaultError::Invalid(format!(
                "the ratios add up to {sum}, more than 1"
            )));
        }
        if let Some(status) = self.server_error_status {
            if !(500..=599).contains(&status) {
                return Err(FaultError::Invalid(format!(
                    "server_error_status must be a 5xx status, got {status}"
                )));
            }
        }
        if self.hang_ratio > 0.0 && self.hang_ms == 0 {
            return Err(FaultError::Invalid(
                "hang_ratio needs hang_ms, the length of the hang".to_owned(),
            ));
        }
        if self.deliver_late_ratio > 0.0 && self.deliver_late_ms == 0 {
            return Err(FaultError::Invalid(
                "deliver_late_ratio needs deliver_late_ms, how much later the action runs"
                    .to_owned(),
            ));
        }
        if self.times == Some(0) {
            return Err(FaultError::Invalid(
                "times must be at least 1 (clear the fault instead)".to_owned(),
            ));
        }
        Ok(())
    }

    /// Parses the command-line form `key=value,key=value` (keys are the field names).
    pub fn parse_assignments(text: &str) -> Result<Self, FaultError> {
        let mut object = serde_json::Map::new();
        for assignment in text.split(',').filter(|part| !part.trim().is_empty()) {
            let (key, value) = assignment
                .split_once('=')
                .ok_or_else(|| FaultError::Invalid(format!("{assignment:?} is not key=value")))?;
            let number: serde_json::Number = value.trim().parse().map_err(|_| {
                FaultError::Invalid(format!(
                    "the value of {key} must be a number, got {value:?}"
                ))
            })?;
            object.insert(key.trim().to_owned(), serde_json::Value::Number(number));
        }
        let spec: FaultSpec = serde_json::from_value(serde_json::Value::Object(object))
            .map_err(|error| FaultError::Invalid(error.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }
}

/// What the fault table decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOutcome {
    /// Handle the call normally.
    Proceed,
    /// Do not run the action; stay silent for the duration, then close the connection.
    Hang(Duration),
    /// Answer with the throttling error.
    Throttle,
    /// Answer with a 5xx error of this status.
    ServerError(u16),
    /// Run the action, then close the connection without a response.
    DropAfterCommit,
    /// Close the connection without a response at once, and run the action this much later.
    DeliverLate(Duration),
}

/// The decision for one call: a delay, then an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultDecision {
    /// Added before anything else happens.
    pub latency: Duration,
    /// What happens next.
    pub outcome: FaultOutcome,
}

/// The active fault specifications, by action name or [`ALL_ACTIONS`].
#[derive(Debug, Default)]
pub struct FaultTable {
    specs: BTreeMap<String, FaultSpec>,
}

impl FaultTable {
    /// Sets (replaces) the specification for `target` (an action name or `*`).
    pub fn set(&mut self, target: &str, spec: FaultSpec) -> Result<(), FaultError> {
        check_target(target)?;
        spec.validate()?;
        self.specs.insert(target.to_owned(), spec);
        Ok(())
    }

    /// Removes the specification for `target`; true if there was one.
    pub fn clear(&mut self, target: &str) -> Result<bool, FaultError> {
        check_target(target)?;
        Ok(self.specs.remove(target).is_some())
    }

    /// Removes every specification.
    pub fn clear_all(&mut self) {
        self.specs.clear();
    }

    /// The active specifications.
    pub fn snapshot(&self) -> BTreeMap<String, FaultSpec> {
        self.specs.clone()
    }

    /// Decides the fate of one call of `action`, given a uniform random `draw` in `[0, 1)`. The
    /// action's own specification wins over the `*` one; a `times` budget is spent by the call.
    pub fn decide(&mut self, action: &str, draw: f64) -> FaultDecision {
        let key = if self.specs.contains_key(action) {
            action
        } else {
            ALL_ACTIONS
        };
        let Some(spec) = self.specs.get_mut(key) else {
            return FaultDecision {
                latency: Duration::ZERO,
                outcome: FaultOutcome::Proceed,
            };
        };
        let decision = FaultDecision {
            latency: Duration::from_millis(spec.latency_ms),
            outcome: pick_outcome(spec, draw),
        };
        if let Some(times) = spec.times.as_mut() {
            *times -= 1;
            if *times == 0 {
                self.specs.remove(key);
            }
        }
        decision
    }
}

fn pick_outcome(spec: &FaultSpec, draw: f64) -> FaultOutcome {
    // Cumulative bands over [0, 1): a ratio of 1.0 covers every draw.
    let mut upper = spec.hang_ratio;
    if draw < upper {
        return FaultOutcome::Hang(Duration::from_millis(spec.hang_ms));
    }
    upper += spec.throttle_ratio;
    if draw < upper {
        return FaultOutcome::Throttle;
    }
    upper += spec.server_error_ratio;
    if draw < upper {
        return FaultOutcome::ServerError(spec.server_error_status.unwrap_or(500));
    }
    upper += spec.drop_after_commit_ratio;
    if draw < upper {
        return FaultOutcome::DropAfterCommit;
    }
    upper += spec.deliver_late_ratio;
    if draw < upper {
        return FaultOutcome::DeliverLate(Duration::from_millis(spec.deliver_late_ms));
    }
    FaultOutcome::Proceed
}

fn check_target(target: &str) -> Result<(), FaultError> {
    if target == ALL_ACTIONS || Action::from_name(target).is_some() {
        Ok(())
    } else {
        Err(FaultError::UnknownAction(target.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_spec_wins_over_the_wildcard_and_times_expires_it() {
        let mut table = FaultTable::default();
        table
            .set(
                "*",
                FaultSpec {
                    throttle_ratio: 1.0,
                    ..FaultSpec::default()
                },
            )
            .unwrap();
        table
            .set(
                "GetClientKey",
                FaultSpec {
                    server_error_ratio: 1.0,
                    times: Some(2),
                    ..FaultSpec::default()
                },
            )
            .unwrap();
        assert_eq!(
            table.decide("GetClientKey", 0.5).outcome,
            FaultOutcome::ServerError(500)
        );
        assert_eq!(
            table.decide("GetClientKey", 0.5).outcome,
            FaultOutcome::ServerError(500)
        );
        assert_eq!(
            table.decide("GetClientKey", 0.5).outcome,
            FaultOutcome::Throttle
        );
        assert_eq!(
            table.decide("DeleteClientKey", 0.0).outcome,
            FaultOutcome::Throttle
        );
    }

    #[test]
    fn bands_partition_the_draw() {
        let spec = FaultSpec {
            hang_ratio: 0.25,
            hang_ms: 10,
            throttle_ratio: 0.25,
            server_error_ratio: 0.25,
            server_error_status: Some(503),
            drop_after_commit_ratio: 0.125,
            deliver_late_ratio: 0.0625,
            deliver_late_ms: 3000,
            ..FaultSpec::default()
        };
        assert_eq!(
            pick_outcome(&spec, 0.1),
            FaultOutcome::Hang(Duration::from_millis(10))
        );
        assert_eq!(pick_outcome(&spec, 0.3), FaultOutcome::Throttle);
        assert_eq!(pick_outcome(&spec, 0.6), FaultOutcome::ServerError(503));
        assert_eq!(pick_outcome(&spec, 0.8), FaultOutcome::DropAfterCommit);
        assert_eq!(
            pick_outcome(&spec, 0.9),
            FaultOutcome::DeliverLate(Duration::from_secs(3))
        );
        assert_eq!(pick_outcome(&spec, 0.95), FaultOutcome::Proceed);
    }

    #[test]
    fn invalid_specs_and_targets_are_refused() {
        let mut table = FaultTable::default();
        assert!(matches!(
            table.set("Nope", FaultSpec::default()),
            Err(FaultError::UnknownAction(_))
        ));
        for bad in [
            FaultSpec {
                throttle_ratio: 1.5,
                ..FaultSpec::default()
            },
            FaultSpec {
                throttle_ratio: 0.6,
                server_error_ratio: 0.6,
                ..FaultSpec::default()
            },
            FaultSpec {
                hang_ratio: 1.0,
                ..FaultSpec::default()
            },
            FaultSpec {
                server_error_status: Some(404),
                server_error_ratio: 1.0,
                ..FaultSpec::default()
            },
            FaultSpec {
                times: Some(0),
                ..FaultSpec::default()
            },
        ] {
            assert!(matches!(table.set("*", bad), Err(FaultError::Invalid(_))));
        }
    }

    #[test]
    fn parses_command_line_assignments() {
        let spec =
            FaultSpec::parse_assignments("throttle_ratio=0.5,latency_ms=20,times=3").unwrap();
        assert_eq!(
            spec,
            FaultSpec {
                throttle_ratio: 0.5,
                latency_ms: 20,
                times: Some(3),
                ..FaultSpec::default()
            }
        );
        assert!(FaultSpec::parse_assignments("bogus=1").is_err());
        assert!(FaultSpec::parse_assignments("throttle_ratio").is_err());
        assert!(FaultSpec::parse_assignments("throttle_ratio=x").is_err());
    }
}
