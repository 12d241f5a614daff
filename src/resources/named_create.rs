//! The create of a resource that KMS identifies by a name the program chooses (a network rule, a
//! permission policy), with the ownership rule every resource keeps: the provider never adopts or
//! claims what it cannot prove it created, and deletes nothing it did not make.
//!
//! 1. Before the first attempt, the name is described. Found: someone else holds it, so nothing
//!    is created and the answer is `name_taken` with the command that adopts it. Not found: the
//!    name was free before this create, which is what makes adopting it later safe. Any other
//!    failure: the create goes ahead, but a lost reply can then not be resolved by adoption.
//! 2. The create. A reply that was lost (the request may have taken effect) is resolved by
//!    describing the name again: a resource that matches the inputs exactly, under a name that
//!    was seen free, is the one this create made and is adopted (with a warning); none means
//!    nothing was made, and the create is tried once more; anything else is `ambiguous_create`
//!    naming it, and nothing is deleted.

use std::future::Future;

use crate::kms::{CallOptions, KmsError};

use super::error::ResourceError;
use super::kms_call::{with_note, KmsCall};

/// What the messages of a named create say about the resource.
#[derive(Clone, Debug)]
pub(crate) struct NamedResource<'a> {
    /// The resource type's name, such as `NetworkRule`.
    pub resource: &'static str,
    /// The kind in prose, such as `network rule`.
    pub kind: &'static str,
    /// The name in the cloud.
    pub name: &'a str,
    /// The action that describes it, such as `DescribeNetworkRule`.
    pub describe_action: &'static str,
    /// The command that adopts it (`pulumi import <token> <resource> <name>`).
    pub import_command: String,
}

/// A described resource: its request id names the proof in messages.
pub(crate) trait Described {
    fn request_id(&self) -> &str;
}

/// Runs the create as the module documentation describes. `describe` and `create` make one KMS
/// call each with the options they are given; `matches` tells whether a described resource is
/// exactly what the inputs ask for.
pub(crate) async fn create_named<T, DescribeFuture, CreateFuture>(
    call: &KmsCall,
    subject: &NamedResource<'_>,
    describe: impl Fn(CallOptions) -> DescribeFuture,
    create: impl Fn(CallOptions) -> CreateFuture,
    matches: impl Fn(&T) -> bool,
) -> Result<T, ResourceError>
where
    T: Described,
    DescribeFuture: Future<Output = Result<T, KmsError>>,
    CreateFuture: Future<Output = Result<T, KmsError>>,
{
    let name = subject.name;
    let kind = subject.kind;
    let seen_free = match describe(call.options()).await {
        Ok(existing) => {
            return Err(ResourceError::NameTaken {
                resource: subject.resource,
                name: name.to_owned(),
                message: format!(
                    "a {kind} named {name} already exists ({} found it, RequestId {}), and this create did not \
                     make it; adopt it with `{}`, or choose another name; nothing was created",
                    subject.describe_action,
                    existing.request_id(),
                    subject.import_command
                ),
            });
        }
        Err(error) if error.is_not_found() => true,
        Err(error) if error.is_cancelled() || error.is_deadline_exceeded() => {
            return Err(with_note(call.error(error), "nothing was created"));
        }
        Err(error) => {
            call.engine_log().warning(
                format!(
                    "could not check that the name {name} is free before creating the {kind} ({}); creating it \
                     anyway, but if the reply is lost the provider cannot tell whether it made it",
                    call.error(error)
                ),
                call.urn(),
            );
            false
        }
    };

    let mut tried_again = false;
    loop {
        let lost = match create(call.options()).await {
            Ok(created) => return Ok(created),
            Err(error) if error.is_outcome_unknown() => error,
            Err(error) => return Err(create_refused(call, subject, error)),
        };
        if lost.is_cancelled() {
            return Err(with_note(
                call.error(lost),
                &format!(
                    "the {kind} {name} may have been created before the cancellation; if it exists, adopt it with \
                     `{}` or delete it",
                    subject.import_command
                ),
            ));
        }
        let may_try_again = !tried_again && !call.deadline_passed() && !call.is_cancelled();
        let lost_text = lost.to_string();
        match describe(call.cleanup_options()).await {
            Ok(existing) if seen_free && matches(&existing) => {
                call.engine_log().warning(
                    format!(
                        "the reply to the create of the {kind} {name} was lost; the name was free before, and a {kind} \
                         with exactly the requested settings exists now: adopting it"
                    ),
                    call.urn(),
                );
                return Ok(existing);
            }
            Ok(_) => {
                let why = if seen_free {
                    "with other settings, so it may not be the one this create made"
                } else {
                    "and the provider could not check before creating that the name was free, so it cannot tell \
                     whether this create made it"
                };
                return Err(ResourceError::AmbiguousCreate {
                    message: format!(
                        "{lost_text}; a {kind} {name} exists, {why}; nothing was deleted: adopt it with `{}` or delete \
                         it, then run the update again",
                        subject.import_command
                    ),
                    candidate_ids: vec![name.to_owned()],
                });
            }
            Err(error) if error.is_not_found() => {
                if may_try_again {
                    call.engine_log().warning(
                        format!("{lost_text}; no {kind} {name} exists, so the provider creates it again"),
                        call.urn(),
                    );
                    tried_again = true;
                    continue;
                }
                return Err(with_note(
                    call.error(lost),
                    &format!(
                        "no {kind} {name} was created ({} finds none); run the update again",
                        subject.describe_action
                    ),
                ));
            }
            Err(error) => {
                return Err(ResourceError::AmbiguousCreate {
                    message: format!(
                        "{lost_text}; checking whether the {kind} {name} exists failed too ({}); if it exists, adopt \
                         it with `{}` or delete it, otherwise run the update again",
                        call.error(error),
                        subject.import_command
                    ),
                    candidate_ids: vec![name.to_owned()],
                });
            }
        }
    }
}

/// A create KMS refused; a taken name (a race with another create since the describe) gets the
/// command that adopts it.
fn create_refused(call: &KmsCall, subject: &NamedResource<'_>, error: KmsError) -> ResourceError {
    let hint = match error.service_code() {
        Some("Rejected.ResourceExist") => Some(format!(
            "a {} named {} already exists; adopt it with `{}`, or choose another name",
            subject.kind, subject.name, subject.import_command
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

    impl Described for Thing {
        fn request_id(&self) -> &str {
            "req-describe"
        }
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
        let call = KmsCall::start(&context, Operation::Create, Some("urn:x"), None);
        let subject = NamedResource {
            resource: "Thing",
            kind: "thing",
            name: "thing-1",
            describe_action: "DescribeThing",
            import_command: "pulumi import test:index:Thing thing thing-1".into(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let result = runtime.block_on(create_named(
            &call,
            &subject,
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
        ));
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
        let ResourceError::NameTaken {
            resource,
            name,
            message,
        } = &error
        else {
            panic!("not name_taken: {error}");
        };
        assert_eq!((*resource, name.as_str()), ("Thing", "thing-1"));
        assert_eq!(
            message,
            "a thing named thing-1 already exists (DescribeThing found it, RequestId req-describe), and this \
             create did not make it; adopt it with `pulumi import test:index:Thing thing thing-1`, or choose \
             another name; nothing was created"
        );
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
        assert!(message.contains("exists, with other settings"), "{message}");
        assert!(message.contains("nothing was deleted"), "{message}");
    }

    #[test]
    fn a_lost_reply_never_adopts_when_the_name_could_not_be_checked_first() {
        // The first describe failed (throttled past its retries): the create went ahead, and a
        // matching thing after the lost reply may still be someone else's.
        let outcome = run(
            &[Answer::Throttled, Answer::Found("wanted")],
            &[Answer::Lost],
        );
        let error = outcome.result.unwrap_err();
        let ResourceError::AmbiguousCreate { message, .. } = &error else {
            panic!("not ambiguous_create: {error}");
        };
        assert!(
            message.contains("could not check before creating"),
            "{message}"
        );
        assert!(outcome.warnings[0].starts_with("could not check that the name thing-1 is free"));
    }

    #[test]
    fn a_lost_reply_that_made_nothing_is_tried_once_more() {
        let outcome = run(
            &[Answer::NotFound, Answer::NotFound],
            &[Answer::Lost, Answer::Created],
        );
        assert_eq!(outcome.result.unwrap().settings, "wanted");
        assert_eq!(outcome.creates, 2);
        let twice = run(
            &[Answer::NotFound, Answer::NotFound, Answer::NotFound],
            &[Answer::Lost, Answer::Lost],
        );
        let error = twice.result.unwrap_err().to_string();
        assert!(
            error.contains("no thing thing-1 was created (DescribeThing finds none)"),
            "{error}"
        );
        assert_eq!(twice.creates, 2);
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
