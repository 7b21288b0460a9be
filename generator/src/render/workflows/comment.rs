//! The pull-request comments the Terraform and cost workflows post. A job that reads the
//! repository writes the comment to a file and keeps it as an artifact; a job that may write to
//! pull requests, and does nothing else (no checkout, no AWS access, nothing of the pull
//! request's code), posts it: it updates the `github-actions[bot]` comment that starts with the
//! comment's hidden marker line, or creates one.

use super::context::{Job, Step, reading_job, write};
use crate::model::{Action, Model};

/// The API's answers (which repeat the comment) go nowhere.
const POST_COMMENT: &[&str] = &[
    r#"comment="$(gh api --paginate "repos/$REPOSITORY/issues/$PULL_REQUEST/comments" \"#,
    r#"  | jq -rs --arg marker "$MARKER" \"#,
    r#"    'first(.[][] | select(.user.login == "github-actions[bot]" and (.body | startswith($marker))) | .id) // empty')""#,
    r#"if [ -n "$comment" ]; then"#,
    r#"  gh api --method PATCH "repos/$REPOSITORY/issues/comments/$comment" -F "body=@$COMMENT_FILE" > /dev/null"#,
    "else",
    r#"  gh api --method POST "repos/$REPOSITORY/issues/$PULL_REQUEST/comments" -F "body=@$COMMENT_FILE" > /dev/null"#,
    "fi",
];

/// One comment of a workflow, and the jobs that write and post it.
pub(super) struct Comment {
    /// The posting job.
    pub(super) id: String,
    pub(super) name: String,
    /// What the comment is, in the posting step's name: `plan`, `cost`.
    pub(super) what: &'static str,
    /// The job that writes the comment file and keeps it.
    pub(super) writer: String,
    pub(super) artifact: String,
    pub(super) file: &'static str,
    /// The comment's first line, hidden, that finds it again.
    pub(super) marker: String,
    /// A further condition of the posting job.
    pub(super) only_if: Option<&'static str>,
}

/// The writer's last step: the comment file kept for the posting job, also when a step before
/// failed (the failure is the comment then).
pub(super) fn keep(model: &Model, artifact: &str, file: &'static str) -> Step {
    Step::uses(
        "Keep the comment for the comment job",
        model.delivery.action(Action::UploadArtifact),
    )
    .when("always()")
    .with("name", artifact.to_string())
    .with("path", file)
    .with("retention-days", 1)
    .with("if-no-files-found", "ignore")
}

/// The only job of its workflow that writes to the pull request.
pub(super) fn post_job(model: &Model, comment: &Comment) -> Job {
    let writer = &comment.writer;
    let mut condition = format!(
        "always() && (needs.{writer}.result == 'success' || needs.{writer}.result == 'failure')"
    );
    if let Some(only_if) = comment.only_if {
        condition.push_str(" && ");
        condition.push_str(only_if);
    }
    Job {
        needs: vec![writer.clone()],
        condition: Some(condition),
        permissions: vec![write("pull-requests")],
        ..reading_job(
            comment.id.clone(),
            comment.name.clone(),
            10,
            vec![
                Step::uses(
                    "Download the comment",
                    model.delivery.action(Action::DownloadArtifact),
                )
                .with("name", comment.artifact.clone()),
                Step::run(
                    &format!("Post or update the {} comment", comment.what),
                    POST_COMMENT,
                )
                .env("GH_TOKEN", "${{ github.token }}")
                .env("REPOSITORY", "${{ github.repository }}")
                .env("PULL_REQUEST", "${{ github.event.pull_request.number }}")
                .env("MARKER", comment.marker.clone())
                .env("COMMENT_FILE", comment.file),
            ],
        )
    }
}
