//! The create of a resource that KMS identifies by a name the program chooses: the ownership
//! proofs of `ownership` around one loop.
//!
//! 1. Before the first attempt, the name is described ([`check_name_is_free`]): found stops the
//!    create (`already_exists`, with the command that adopts it); a failure other than "not
//!    found" stops it too, since without the proof a lost reply could not be settled.
//! 2. The create. A reply that was lost (the request may have taken effect) is settled by
//!    describing the name again under the clean-up budget ([`resolve_lost_create`]): exactly the
//!    requested resource is this create's and is adopted (with a warning); none, after a second
//!    look once the settle delay has passed (a request KMS receives late shows up then), means
//!    nothing was made, and the create is tried once more; anything else is `ambiguous_create`
//!    naming it. If that second try finds the name taken (`Rejected.ResourceExist`: the lost
//!    request arrived after all), the name is described once more and settled the same way.
//!    Nothing is ever deleted.

use std::future::Future;

use crate::kms::{CallOptions, KmsError};

use super::super::declaration::article;
use super::super::error::ResourceError;
use super::super::kms_call::{describe_lost, with_note, KmsCall};
use super::ownership::{check_name_is_free, resolve_lost_create, Claim, LostCreate};

/// Runs the create as the module documentation describes. `describe` and `create` make one KMS
/// call each with the options they are given; `matches` tells whether a described resource is
/// exactly what the inputs ask for; `describe_action` names the describe in messages.
pub(crate) async fn create_named<T, DescribeFuture, CreateFuture>(
    call: &KmsCall,
    named: &Claim<'_>,
    describe_action: &'static str,
    describe: impl Fn(CallOptions) -> DescribeFuture,
    create: impl Fn(CallOptions) -> CreateFuture,
    matches: impl Fn(&T) -> bool,
) -> Result<T, ResourceError>
where
    DescribeFuture: Future<Output = Result<T, KmsError>>,
    CreateFuture: Future<Output = Result<T, KmsError>>,
{
    let Claim { noun, name, .. } = *named;
    let was_free = check_name_is_free(call, named, describe(call.options()).await)?;
    let mut tried_again = false;
    let mut lost_before: Option<String> = None;
    loop {
        let error = match create(call.options()).await {
            Ok(created) => return Ok(created),
            Err(error) if error.is_outcome_unknown() => error,
            // Taken on the second try: the lost first request reached KMS after all, or another
            // creator took the name meanwhile; what is there settles which.
            Err(error)
                if lost_before.is_some()
                    && error.service_code() == Some("Rejected.ResourceExist") =>
            {
                let lost = format!(
                    "{}; the second try found the name taken",
                    lost_before.as_deref().unwrap_or_default()
                );
                let described = {
                    let cleanup = call.cleanup();
                    describe(cleanup.options().clone()).await
                };
                return match resolve_lost_create(
                    call, named, &was_free, &lost, described, &matches,
                )? {
                    LostCreate::Made(existing) => {
                        adopted(call, named, &lost);
                        Ok(existing)
                    }
                    LostCreate::NotMade => Err(create_refused(call, named, error)),
                };
            }
            Err(error) => return Err(create_refused(call, named, error)),
        };
        let lost = describe_lost(&error);
        // Looked into under the clean-up budget, so that a cancelled create still learns (and
        // reports) what it made; once more after the settle delay when nothing is there yet.
        let described = {
            let cleanup = call.cleanup();
            let described = describe(cleanup.options().clone()).await;
            match described {
                Err(error) if error.is_not_found() => {
                    call.engine_log().warning(
                        format!(
                            "{lost}; no {noun} {name} exists yet; looking again in {}s, in case KMS receives the \
                             request late",
                            call.lost_create_settle().as_secs_f64()
                        ),
                        call.urn(),
                    );
                    call.settle(cleanup.options()).await;
                    describe(cleanup.options().clone()).await
                }
                described => described,
            }
        };
        match resolve_lost_create(call, named, &was_free, &lost, described, &matches)? {
            LostCreate::Made(existing) => {
                adopted(call, named, &lost);
                return Ok(existing);
            }
            // Decided after the search, which a cancellation does not stop.
            LostCreate::NotMade
                if !tried_again && !call.deadline_passed() && !call.is_cancelled() =>
            {
                call.engine_log().warning(
                    format!("{lost}; no {noun} {name} exists, so the provider creates it again"),
                    call.urn(),
                );
                tried_again = true;
                lost_before = Some(lost);
            }
            LostCreate::NotMade => {
                return Err(with_note(
                    call.lost_create_error(error),
                    &format!(
                        "no {noun} {name} was created ({describe_action} finds none); run the update again"
                    ),
                ));
            }
        }
    }
}

/// Tells the engine that what the lost create made is adopted.
fn adopted(call: &KmsCall, named: &Claim<'_>, lost: &str) {
    let Claim { noun, name, .. } = *named;
    call.engine_log().warning(
        format!(
            "{lost}; the {noun} {name} exists with exactly the requested settings, and the name was free just \
             before this create, so this create made it: adopting it"
        ),
        call.urn(),
    );
}

/// A create KMS refused; a taken name (a race with another create since the describe) gets the
/// command that adopts it.
fn create_refused(call: &KmsCall, named: &Claim<'_>, error: KmsError) -> ResourceError {
    let hint = match error.service_code() {
        Some("Rejected.ResourceExist") => Some(format!(
            "{} {} named {} already exists; adopt it with `{}`, or choose another name",
            article(named.noun),
            named.noun,
            named.name,
            named.import_command
        )),
        _ => error.service_hint(),
    };
    call.error_with_hint(error, hint)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::resources::context::{EngineLog, LogEntry, OperationContext};
    use crate::resources::error::Operation;

    #[derive(Clone, Debug, PartialEq)]
    struct Thing {
        settings: &'static str,
    }

    #[derive(Clone, Copy, Debug)]
    enum Answer {
        Found(&'static str),
        NotFound,
        Throttled,
        Lost,
        Created,
        Exists,
    }

    fn service(action: &'static str, code: &str, status: u16) -> KmsError {
        KmsError::Service {
            action,
            code: code.into(),
            message: "scripted".into(),
            request_id: Some("req-error".into()),
            host_id: None,
            recommend: None,
            http_status: status,
        }
    }

    fn answer(action: &'static str, answer: Answer) -> Result<Thing, KmsError> {
        match answer {
            Answer::Created => Ok(Thing { settings: "wanted" }),
            Answer::Found(settings) => Ok(Thing { settings }),
            Answer::NotFound => Err(service(action, "Forbidden.ResourceNotFound", 404)),
            Answer::Throttled => Err(service(action, "Throttling.User", 400)),
            Answer::Exists => Err(service(action, "Rejected.ResourceExist", 409)),
            Answer::Lost => Err(KmsError::OutcomeUnknown {
                action,
                cause: Box::new(KmsError::Transport {
                    action,
                    host: "kms.example".into(),
                    request_may_have_been_sent: true,
                    problem: crate::kms::TransportProblem::Transient,
                    reason: "connection closed before the reply".into(),
                    source: None,
                }),
            }),
        }
    }

    struct Outcome {
        result: Result<Thing, ResourceError>,
        creates: usize,
        warnings: Vec<String>,
    }

    /// Runs a create against scripted answers of describe and create.
    fn run(describes: &[Answer], creates: &[Answer]) -> Outcome {
        let describes = Mutex::new(describes.iter().copied().collect::<VecDeque<_>>());
        let created = Mutex::new(creates.iter().copied().collect::<VecDeque<_>>());
        let logged = Arc::new(Mutex::new(Vec::<LogEntry>::new()));
        let sink = logged.clone();
        let mut context = OperationContext::for_tests(std::env::temp_dir());
        context.engine_log = EngineLog::new(move |entry| sink.lock().unwrap().push(entry));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let result = runtime.block_on(async {
            let call = KmsCall::start(&context, Operation::Create, Some("urn:x"), None);
            let named = Claim {
                resource: "Thing",
                noun: "thing",
                name: "thing-1",
                import_command: "pulumi import test:index:Thing thing thing-1".into(),
            };
            create_named(
                &call,
                &named,
                "DescribeThing",
                |_| {
                    let next = describes
                        .lock()
                        .unwrap()
                        .pop_front()
                        .expect("a scripted describe");
                    std::future::ready(answer("DescribeThing", next))
                },
                |_| {
                    let next = created
                        .lock()
                        .unwrap()
                        .pop_front()
                        .expect("a scripted create");
                    std::future::ready(answer("CreateThing", next))
                },
                |found: &Thing| found.settings == "wanted",
            )
            .await
        });
        let creates_left = created.lock().unwrap().len();
        let warnings = logged
            .lock()
            .unwrap()
            .iter()
            .map(|entry| entry.message.clone())
            .collect();
        Outcome {
            result,
            creates: creates.len() - creates_left,
            warnings,
        }
    }

    #[test]
    fn a_free_name_is_created_once() {
        let outcome = run(&[Answer::NotFound], &[Answer::Created]);
        assert_eq!(outcome.result.unwrap().settings, "wanted");
        assert_eq!(outcome.creates, 1);
        assert!(outcome.warnings.is_empty());
    }

    #[test]
    fn a_taken_name_creates_nothing_and_says_how_to_adopt_it() {
        let outcome = run(&[Answer::Found("wanted")], &[]);
        let error = outcome.result.unwrap_err();
        let ResourceError::AlreadyExists {
            resource,
            name,
            message,
        } = &error
        else {
            panic!("not already_exists: {error}");
        };
        assert_eq!((*resource, name.as_str()), ("Thing", "thing-1"));
        assert!(
            message.starts_with(
                "a thing named thing-1 already exists, and this create did not make it"
            ),
            "{message}"
        );
        assert!(
            message.contains("`pulumi import test:index:Thing thing thing-1`"),
            "{message}"
        );
        assert_eq!(outcome.creates, 0);
    }

    #[test]
    fn a_name_that_cannot_be_checked_creates_nothing() {
        // Without the proof that the name was free, a lost reply could never be settled.
        let outcome = run(&[Answer::Throttled], &[]);
        let error = outcome.result.unwrap_err().to_string();
        assert!(error.contains("nothing was created"), "{error}");
        assert!(error.contains("RequestId req-error"), "{error}");
        assert_eq!(outcome.creates, 0);
    }

    #[test]
    fn a_lost_reply_adopts_only_an_exact_match_under_a_name_seen_free() {
        let adopted = run(
            &[Answer::NotFound, Answer::Found("wanted")],
            &[Answer::Lost],
        );
        assert_eq!(adopted.result.unwrap().settings, "wanted");
        assert_eq!(adopted.creates, 1);
        assert!(
            adopted.warnings[0].contains("adopting it"),
            "{:?}",
            adopted.warnings
        );

        let other = run(&[Answer::NotFound, Answer::Found("other")], &[Answer::Lost]);
        let error = other.result.unwrap_err();
        let ResourceError::AmbiguousCreate {
            message,
            candidate_ids,
        } = &error
        else {
            panic!("not ambiguous_create: {error}");
        };
        assert_eq!(candidate_ids, &["thing-1"]);
        assert!(
            message.contains("a thing thing-1 exists now, with other settings"),
            "{message}"
        );
        assert!(message.contains("claims none of it"), "{message}");
    }

    #[test]
    fn a_lost_reply_that_made_nothing_is_tried_once_more() {
        // The name free, then nothing after the loss, nor after the settle delay.
        let outcome = run(
            &[Answer::NotFound, Answer::NotFound, Answer::NotFound],
            &[Answer::Lost, Answer::Created],
        );
        assert_eq!(outcome.result.unwrap().settings, "wanted");
        assert_eq!(outcome.creates, 2);
        assert!(
            outcome.warnings[0]
                .contains("looking again in 0s, in case KMS receives the request late"),
            "{:?}",
            outcome.warnings
        );
        let twice = run(&[Answer::NotFound; 5], &[Answer::Lost, Answer::Lost]);
        let error = twice.result.unwrap_err().to_string();
        assert!(
            error.contains("no thing thing-1 was created (DescribeThing finds none)"),
            "{error}"
        );
        assert_eq!(twice.creates, 2);
    }

    #[test]
    fn a_request_kms_receives_late_is_found_after_the_settle_delay_or_when_the_retry_meets_it() {
        // Found on the second look.
        let second_look = run(
            &[Answer::NotFound, Answer::NotFound, Answer::Found("wanted")],
            &[Answer::Lost],
        );
        assert_eq!(second_look.result.unwrap().settings, "wanted");
        assert_eq!(second_look.creates, 1);
        // Later still: the retry finds the name taken by the late request, exactly as asked.
        let at_the_retry = run(
            &[
                Answer::NotFound,
                Answer::NotFound,
                Answer::NotFound,
                Answer::Found("wanted"),
            ],
            &[Answer::Lost, Answer::Exists],
        );
        assert_eq!(at_the_retry.result.unwrap().settings, "wanted");
        assert!(
            at_the_retry.warnings.last().unwrap().contains(
                "the second try found the name taken; the thing thing-1 exists with exactly"
            ),
            "{:?}",
            at_the_retry.warnings
        );
        // Taken with other settings: someone else's, claimed by nobody.
        let other = run(
            &[
                Answer::NotFound,
                Answer::NotFound,
                Answer::NotFound,
                Answer::Found("other"),
            ],
            &[Answer::Lost, Answer::Exists],
        );
        assert!(matches!(
            other.result,
            Err(ResourceError::AmbiguousCreate { .. })
        ));
    }

    #[test]
    fn a_race_lost_to_another_create_suggests_the_import() {
        let outcome = run(&[Answer::NotFound], &[Answer::Exists]);
        let error = outcome.result.unwrap_err().to_string();
        assert!(
            error.contains("a thing named thing-1 already exists; adopt it with `pulumi import"),
            "{error}"
        );
        assert!(error.contains("RequestId req-error"), "{error}");
    }
}
