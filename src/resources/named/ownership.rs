//! The ownership proof of a create under a name the user chooses: what is found under the name
//! after a lost reply is this create's own only if the name was free before it.
//!
//! The rule: the provider never adopts, or reports as its own, a resource it cannot prove it made.
//! The evidence is what it saw *before* its first attempt: the name was free (describing it
//! answered "not found", [`check_name_is_free`]). A name already taken stops the create at once,
//! before anything is sent ([`ResourceError::AlreadyExists`]): the resource there is someone
//! else's. After a lost reply, the name is described again ([`resolve_lost_create`]):
//!
//! - not found: nothing was made; creating again is safe;
//! - found, exactly as requested, and free before the first attempt: this create made it, and it
//!   is adopted;
//! - found with other settings: another stack or program made it meanwhile; an error names it
//!   and nothing is claimed.
//!
//! The window left: another creator that makes the same name, with exactly the same settings,
//! after the check and before this create learns its attempt failed (a few seconds; for a hang,
//! up to the operation's deadline), and whose own create succeeds where this one's did not run,
//! cannot be told apart: that resource would be adopted. KMS gives an access point no creation
//! time or creator to tell them apart by.

use crate::kms::KmsError;

use super::super::declaration::article;
use super::super::error::ResourceError;
use super::super::kms_call::{with_note, KmsCall};

/// The name a create claims: which resource, under which name.
#[derive(Clone, Debug)]
pub struct Claim<'a> {
    /// The resource type's name, such as `ApplicationAccessPoint`.
    pub resource: &'static str,
    /// What it is called in a sentence, such as `access point`.
    pub noun: &'static str,
    pub name: &'a str,
    /// The command that adopts the resource into a stack (`pulumi import ...`).
    pub import_command: String,
}

/// The proof that the name was free before the first attempt.
#[derive(Debug)]
#[must_use = "the proof is what allows adopting after a lost reply"]
pub struct NameWasFree(());

/// What a lost create turned out to have done.
#[derive(Debug)]
pub enum LostCreate<T> {
    /// Nothing is under the name: the create made nothing.
    NotMade,
    /// The resource under the name is exactly the one requested, and the name was free before the
    /// first attempt: this create made it.
    Made(T),
}

/// Turns the describe before the first attempt into the proof that the name is free, or the error
/// that stops the create: the name is taken, or it could not be checked.
pub fn check_name_is_free<T>(
    call: &KmsCall,
    named: &Claim<'_>,
    described: Result<T, KmsError>,
) -> Result<NameWasFree, ResourceError> {
    let Claim {
        noun,
        name,
        import_command,
        ..
    } = named;
    match described {
        Err(error) if error.is_not_found() => Ok(NameWasFree(())),
        Ok(_) => Err(ResourceError::AlreadyExists {
            resource: named.resource,
            name: (*name).to_owned(),
            message: format!(
                "{} {noun} named {name} already exists, and this create did not make it (it was there before the \
                 create tried), so the provider neither changes nor claims it; if it is yours, adopt it with \
                 `{import_command}`, or choose another name",
                article(noun)
            ),
        }),
        Err(error) => Err(with_note(
            call.error(error),
            &format!(
                "the provider checks that the name {name} is free before it creates the {noun} (to know later \
                 that what it finds there is its own); nothing was created"
            ),
        )),
    }
}

/// Resolves a lost create from a describe of the name after the failure; `matches` says whether
/// what is there is exactly what was requested. `lost` describes the failure.
pub fn resolve_lost_create<T>(
    call: &KmsCall,
    named: &Claim<'_>,
    _was_free: &NameWasFree,
    lost: &str,
    described: Result<T, KmsError>,
    matches: impl FnOnce(&T) -> bool,
) -> Result<LostCreate<T>, ResourceError> {
    let Claim {
        noun,
        name,
        import_command,
        ..
    } = named;
    let left = |message: String| ResourceError::AmbiguousCreate {
        message,
        candidate_ids: vec![(*name).to_owned()],
    };
    match described {
        Ok(existing) if matches(&existing) => Ok(LostCreate::Made(existing)),
        Ok(_) => Err(left(format!(
            "{lost}; {} {noun} {name} exists now, with other settings than this create asked for, so another \
             stack or program made it while this create was in flight (the name was free just before); the \
             provider claims none of it: if it is yours, adopt it with `{import_command}`, otherwise choose \
             another name; then run the update again",
            article(noun)
        ))),
        Err(error) if error.is_not_found() => Ok(LostCreate::NotMade),
        Err(error) => Err(left(format!(
            "{lost}; checking whether the {noun} {name} exists failed too ({}), so the provider claims nothing; \
             if it exists, it is this create's or another stack's: adopt it with `{import_command}` only if no \
             other stack has it in its state, otherwise run the update again",
            call.error(error)
        ))),
    }
}
