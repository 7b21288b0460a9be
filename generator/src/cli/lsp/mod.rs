//! `platformgen lsp`: a language server for spec files over standard input and output. Each
//! open spec is checked from the editor's text on open and on every change, and its diagnostics
//! published; hover explains a key, completion offers the schema's keys and values, and go to
//! definition jumps from a reference to its declaration.

mod analysis;
mod completion;
mod definition;
mod hover;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lsp_server::{Connection, ErrorCode, Message, Notification, ProtocolError, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{Completion, GotoDefinition, HoverRequest, Request as _, Shutdown};
use lsp_types::{
    CompletionOptions, CompletionResponse, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, GotoDefinitionResponse, HoverProviderCapability, Location, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentContentChangeEvent,
    TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};

pub use analysis::Analysis;
use analysis::Lines;

use super::report::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, Output};

/// Serves one editor on standard input and output until it sends `exit`. The exit code is 0
/// after `shutdown` then `exit`, 1 for an `exit` without `shutdown` (as the protocol says), 2
/// when the connection breaks.
pub(super) fn serve(output: &mut Output<'_>) -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let code = match run(&connection) {
        Ok(code) => code,
        Err(error) => {
            output.warn(&format!("error: platformgen lsp: {error}"));
            EXIT_USAGE
        }
    };
    drop(connection);
    if let Err(error) = io_threads.join() {
        output.warn(&format!("error: platformgen lsp: {error}"));
        return code.max(EXIT_USAGE);
    }
    code
}

/// Why the server stopped before the editor said `exit`.
#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("cannot write the server's capabilities: {0}")]
    Capabilities(#[source] serde_json::Error),
    #[error("the editor closed the connection")]
    Closed,
}

fn run(connection: &Connection) -> Result<u8, ServeError> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["=".to_string(), "\"".to_string()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(ServeError::Capabilities)?;
    connection.initialize(capabilities)?;
    let mut server = Server::default();
    for message in &connection.receiver {
        let replies = match message {
            Message::Request(request) => vec![server.respond(request).into()],
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(if server.shut_down {
                    EXIT_OK
                } else {
                    EXIT_INVALID
                });
            }
            Message::Notification(notification) => server.notice(notification),
            Message::Response(_) => Vec::new(),
        };
        for reply in replies {
            if connection.sender.send(reply).is_err() {
                return Err(ServeError::Closed);
            }
        }
    }
    // The editor went away without `exit`.
    Ok(EXIT_INVALID)
}

/// The open specs, each analysed from its latest text.
#[derive(Default)]
struct Server {
    documents: HashMap<Url, Analysis>,
    shut_down: bool,
}

impl Server {
    fn respond(&mut self, request: Request) -> Response {
        if self.shut_down {
            return Response::new_err(
                request.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            );
        }
        match request.method.as_str() {
            Shutdown::METHOD => {
                self.shut_down = true;
                Response::new_ok(request.id, ())
            }
            HoverRequest::METHOD => self.answer::<HoverRequest>(request, |server, params| {
                let at = params.text_document_position_params;
                let analysis = server.documents.get(&at.text_document.uri)?;
                hover::hover(analysis, analysis.offset(at.position))
            }),
            Completion::METHOD => self.answer::<Completion>(request, |server, params| {
                let at = params.text_document_position;
                let analysis = server.documents.get(&at.text_document.uri)?;
                let items = completion::completions(analysis, analysis.offset(at.position));
                Some(CompletionResponse::Array(items))
            }),
            GotoDefinition::METHOD => self.answer::<GotoDefinition>(request, |server, params| {
                let at = params.text_document_position_params;
                let analysis = server.documents.get(&at.text_document.uri)?;
                let span = definition::definition(analysis, analysis.offset(at.position))?;
                Some(GotoDefinitionResponse::Scalar(Location::new(
                    at.text_document.uri,
                    analysis.range(&span),
                )))
            }),
            method => Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("platformgen lsp does not answer `{method}`"),
            ),
        }
    }

    /// Reads a request's parameters and answers it; malformed parameters, and a bug that
    /// panics, become an error response rather than the end of the server.
    fn answer<R: lsp_types::request::Request>(
        &self,
        request: Request,
        handle: impl FnOnce(&Self, R::Params) -> R::Result,
    ) -> Response {
        let params = match serde_json::from_value::<R::Params>(request.params) {
            Ok(params) => params,
            Err(error) => {
                return Response::new_err(
                    request.id,
                    ErrorCode::InvalidParams as i32,
                    format!("invalid parameters of `{}`: {error}", request.method),
                );
            }
        };
        match catch_unwind(AssertUnwindSafe(|| handle(self, params))) {
            Ok(result) => Response::new_ok(request.id, result),
            Err(_) => Response::new_err(
                request.id,
                ErrorCode::InternalError as i32,
                format!("platformgen lsp failed to answer `{}`", request.method),
            ),
        }
    }

    /// Takes a notification; returns the diagnostics to publish.
    fn notice(&mut self, notification: Notification) -> Vec<Message> {
        let text = match notification.method.as_str() {
            DidOpenTextDocument::METHOD => notification
                .extract::<DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                .ok()
                .map(|params| (params.text_document.uri, params.text_document.text)),
            DidChangeTextDocument::METHOD => notification
                .extract::<DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD)
                .ok()
                .and_then(|params| {
                    let uri = params.text_document.uri;
                    let text = self.changed_text(&uri, params.content_changes)?;
                    Some((uri, text))
                }),
            DidCloseTextDocument::METHOD => {
                let closed = notification
                    .extract::<DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                    .ok();
                return closed
                    .map(|params| {
                        self.documents.remove(&params.text_document.uri);
                        publish(params.text_document.uri, Vec::new())
                    })
                    .into_iter()
                    .collect();
            }
            _ => None,
        };
        let Some((uri, text)) = text else {
            return Vec::new();
        };
        let name = uri
            .to_file_path()
            .map_or_else(|()| uri.to_string(), |path| path.display().to_string());
        let Ok(analysis) = catch_unwind(|| Analysis::of(&name, &text)) else {
            return Vec::new();
        };
        let diagnostics = analysis.lsp_diagnostics(&uri);
        self.documents.insert(uri.clone(), analysis);
        vec![publish(uri, diagnostics)]
    }

    /// The document's text after `changes`: each a whole new text, or (from editors that send
    /// them anyway) an edit of a range.
    fn changed_text(
        &self,
        uri: &Url,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Option<String> {
        let mut text = self.documents.get(uri).map(|a| a.source.text.clone());
        for change in changes {
            text = Some(match (change.range, text) {
                (Some(range), Some(old)) => {
                    let current = Lines::of(&old);
                    let (start, end) = (
                        current.offset(&old, range.start),
                        current.offset(&old, range.end),
                    );
                    let mut new = old;
                    new.replace_range(start..end.max(start), &change.text);
                    new
                }
                _ => change.text,
            });
        }
        text
    }
}

fn publish(uri: Url, diagnostics: Vec<lsp_types::Diagnostic>) -> Message {
    Notification::new(
        PublishDiagnostics::METHOD.to_string(),
        PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        },
    )
    .into()
}
