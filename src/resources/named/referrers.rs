//! The provider's own protection before it deletes a resource that others name: a permission
//! policy that access points list, a network rule that policies name. KMS deletes such a resource
//! anyway and the applications behind the referrers lose access (docs/kms-api.md §3.3, §3.4), so
//! the provider looks first: it lists every page of the kind that could refer to the resource,
//! describes each one, and refuses the delete (`in_use`) while any still refers to it, naming
//! them. Each resource says who its referrers are (its `NamedResource::find_referrers`); the
//! listing, the describing and the delete around them are here.
//!
//! Cost: one List call per 100 referrers of that kind in the account, and one Describe per
//! referrer (eight at a time). The race left: a referrer that starts naming the resource between
//! the look and the delete is not seen (docs/protocol.md, `delete`).

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::kms::{CallOptions, Client, KmsError};

use super::super::context::OperationContext;
use super::super::declaration::{article, Declaration};
use super::super::error::{Operation, ResourceError};
use super::super::kms_call::KmsCall;

/// The page size the listings ask for: the largest KMS allows (docs/kms-api.md §3.2).
pub const PAGE_SIZE: u32 = 100;

/// A bound on the pages read, so that a service that keeps reporting more never holds the delete
/// (a million referrers).
const MAX_PAGES: u32 = 10_000;

/// How many referrers are described at once.
const DESCRIBED_AT_ONCE: usize = 8;

/// One page of a listing: the names on it, and how many there are in all.
#[derive(Debug)]
pub struct Page {
    pub names: Vec<String>,
    pub total_count: u32,
}

/// Who may refer to a resource about to be deleted, and what to tell the user.
#[derive(Clone, Copy, Debug)]
pub struct Referred {
    /// What its referrers are called, in the plural (`application access points`).
    pub referrers: &'static str,
    /// The RAM permissions the look needs (`kms:ListApplicationAccessPoints and ...`).
    pub permissions: &'static str,
    /// How to unbind it, after "remove ... first": a sentence that ends the message.
    pub how_to_unbind: &'static str,
}

/// The delete of a resource that others may name (when `referred` says who): `find_referrers`
/// looks for what still names it (given the client, the name and the call's options), and unless
/// it finds one, `delete` deletes it; a resource that is already gone counts as deleted.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn delete_unless_referred<Find, FindFuture, Delete, DeleteFuture, Reply>(
    context: &OperationContext,
    urn: Option<&str>,
    name: &str,
    timeout: Option<Duration>,
    declaration: &Declaration,
    referred: Option<&Referred>,
    find_referrers: Find,
    delete: Delete,
) -> Result<(), ResourceError>
where
    Find: FnOnce(Client, String, CallOptions) -> FindFuture,
    FindFuture: Future<Output = Result<Vec<String>, KmsError>>,
    Delete: FnOnce(Client, String, CallOptions) -> DeleteFuture,
    DeleteFuture: Future<Output = Result<Reply, KmsError>>,
{
    let noun = declaration.noun;
    let client = context.kms.client().await?;
    let call = KmsCall::start(context, Operation::Delete, urn, timeout);
    if let Some(Referred {
        referrers,
        permissions,
        how_to_unbind,
    }) = referred
    {
        let used_by = match find_referrers(client.clone(), name.to_owned(), call.options()).await {
            Ok(used_by) => used_by,
            Err(error) => {
                let hint = format!(
                    "before it deletes {} {noun}, the provider lists the {referrers} to make sure none still \
                     refers to it (KMS would delete it anyway, and their applications would lose access), and \
                     that failed, so the {noun} {name} was not deleted; grant {permissions}, or try again",
                    article(noun)
                );
                return Err(call.error_with_hint(error, Some(hint)));
            }
        };
        if !used_by.is_empty() {
            return Err(ResourceError::InUse {
                resource: declaration.name,
                name: name.to_owned(),
                message: format!(
                    "the {noun} {name} is still in use by the {referrers} {}: KMS would delete it and their \
                     applications would lose access, so the provider did not; {how_to_unbind}",
                    used_by.join(", ")
                ),
                used_by,
            });
        }
    }
    match delete(client, name.to_owned(), call.options()).await {
        Ok(_) => Ok(()),
        Err(error) if error.is_not_found() => {
            context
                .engine_log
                .info(format!("{noun} {name} was already gone"), call.urn());
            Ok(())
        }
        Err(error) => Err(call.error(error)),
    }
}

/// Every name of a listing, page by page (`list_page` gets the 1-based page number and asks for
/// [`PAGE_SIZE`] entries), sorted and without repeats (an entry created while the pages are read
/// may move from one page to the next).
pub async fn all_names<List, ListFuture>(mut list_page: List) -> Result<Vec<String>, KmsError>
where
    List: FnMut(u32) -> ListFuture,
    ListFuture: Future<Output = Result<Page, KmsError>>,
{
    let mut names = Vec::new();
    for page_number in 1..=MAX_PAGES {
        let page = list_page(page_number).await?;
        let on_page = page.names.len();
        names.extend(page.names);
        if on_page < PAGE_SIZE as usize || names.len() >= page.total_count as usize {
            break;
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The names among `names` whose description (`describe`, [`DESCRIBED_AT_ONCE`] at a time) `refers`
/// says yes to; one that is gone by the time it is described refers to nothing.
pub async fn referring<Described, Describe, DescribeFuture>(
    names: Vec<String>,
    describe: Describe,
    refers: impl Fn(&Described) -> bool,
) -> Result<Vec<String>, KmsError>
where
    Described: Send + 'static,
    Describe: Fn(String) -> DescribeFuture,
    DescribeFuture: Future<Output = Result<Described, KmsError>> + Send + 'static,
{
    let mut running = JoinSet::new();
    let mut waiting = names.into_iter();
    let mut found = Vec::new();
    loop {
        while running.len() < DESCRIBED_AT_ONCE {
            let Some(name) = waiting.next() else {
                break;
            };
            let described = describe(name.clone());
            running.spawn(async move { (name, described.await) });
        }
        let Some(finished) = running.join_next().await else {
            break;
        };
        match finished.expect("a describe task never panics") {
            (name, Ok(described)) if refers(&described) => found.push(name),
            (_, Ok(_)) => {}
            (_, Err(error)) if error.is_not_found() => {}
            (_, Err(error)) => return Err(error),
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_page_is_read_and_a_short_page_ends_the_listing() {
        let all: Vec<String> = (0..250).map(|index| format!("n{index:03}")).collect();
        let mut asked = Vec::new();
        let names = all_names(|page_number| {
            asked.push(page_number);
            let start = (page_number as usize - 1) * PAGE_SIZE as usize;
            let names = all
                .iter()
                .skip(start)
                .take(PAGE_SIZE as usize)
                .cloned()
                .collect();
            async move {
                Ok(Page {
                    names,
                    total_count: 250,
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(asked, [1, 2, 3]);
        assert_eq!(names, all);
    }

    #[tokio::test]
    async fn only_those_that_refer_are_found_and_an_error_stops_the_look() {
        let names: Vec<String> = (0..20).map(|index| format!("n{index}")).collect();
        let found = referring(
            names.clone(),
            |name| async move { Ok(name) },
            |name: &String| name == "n3" || name == "n17",
        )
        .await
        .unwrap();
        assert_eq!(found, ["n17", "n3"]);
        let failed = referring(
            names,
            |name| async move {
                if name == "n5" {
                    Err(KmsError::Cancelled {
                        action: "DescribePolicy",
                        attempts: 1,
                        request_in_flight: false,
                    })
                } else {
                    Ok(name)
                }
            },
            |_: &String| false,
        )
        .await;
        assert!(failed.is_err());
    }
}
