//! The results of a search picker of users and groups (group members, application
//! assignments): each candidate with its kind and detail, and the caller's button to take it.

use crate::api::MemberRow;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn CandidateList<F, V>(
    candidates: Resource<Result<Vec<MemberRow>, AppError>>,
    /// The search text: nothing is said about an empty search.
    query: ReadSignal<String>,
    testid: &'static str,
    /// What to say when the search finds nobody.
    empty: &'static str,
    /// The form that takes one candidate.
    take: F,
) -> impl IntoView
where
    F: Fn(MemberRow) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| ()>
            {move || {
                let take = take.clone();
                Suspend::new(async move {
                    match candidates.await {
                        Ok(list) if list.is_empty() => (!query.get_untracked().trim().is_empty())
                            .then(|| view! { <p class="muted">{empty}</p> })
                            .into_any(),
                        Ok(list) => view! {
                            <ul class="picker-results" data-testid=testid>
                                {list.into_iter().map(|c| view! {
                                    <li>
                                        <span class="picker-name">{c.display.clone()}</span>
                                        <span class="badge">{c.kind.clone()}</span>
                                        <span class="muted">{c.detail.clone()}</span>
                                        {take(c)}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}
