//! `platformgen init`: a starter spec that validates, and the schema its `#:schema` line names.

use std::path::Path as FsPath;

use super::report::{EXIT_OK, EXIT_USAGE, Output, STARTER_SPEC, write_file};
use crate::schema::spec_schema_text;

/// Writes the starter spec, named and placed as asked, and the schema its `#:schema` line names.
pub(super) fn init(
    path: &FsPath,
    name: &str,
    region: &str,
    force: bool,
    output: &mut Output<'_>,
) -> u8 {
    if path.exists() && !force {
        output.warn(&format!(
            "error: `{}` already exists; pass --force to replace it",
            path.display()
        ));
        return EXIT_USAGE;
    }
    let text = match starter_spec(name, region) {
        Ok(text) => text,
        Err(error) => {
            output.warn(&format!("error: {error}"));
            return EXIT_USAGE;
        }
    };
    let code = write_file(path, &text, output);
    if code != EXIT_OK {
        return code;
    }
    let schema = path.with_file_name(SCHEMA_FILE);
    let schema_text = spec_schema_text();
    let note = match std::fs::read_to_string(&schema) {
        Ok(existing) if existing == schema_text => String::new(),
        Ok(_) => format!(
            "; `{}` was left as it was (run `platformgen schema -o {}` to refresh it)",
            schema.display(),
            schema.display()
        ),
        Err(_) => {
            let code = write_file(&schema, &schema_text, output);
            if code != EXIT_OK {
                return code;
            }
            format!(" and {} (its JSON Schema, for editors)", schema.display())
        }
    };
    output.say(&format!(
        "wrote {}{note}: edit it, then run `platformgen validate {}`",
        path.display(),
        path.display()
    ));
    EXIT_OK
}

/// The file name the starter's `#:schema` line points at, beside the spec.
const SCHEMA_FILE: &str = "schema.json";

/// The starter spec for a project `name` in `region`, checked to validate.
pub(super) fn starter_spec(name: &str, region: &str) -> Result<String, String> {
    // The longest name the starter derives from it is `<name>-backend`, itself a name of at
    // most 32 characters.
    let name_ok = (2..=24).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return Err(format!(
            "`{name}` cannot name a project\n  help: use 2 to 24 lower-case letters, digits and \
             `-`, starting with a letter (for example `shop`)"
        ));
    }
    let parts: Vec<&str> = region.split('-').collect();
    let region_ok = matches!(parts.as_slice(), [area, .., zone] if area.len() == 2
        && zone.len() == 1 && zone.chars().all(|c| c.is_ascii_digit()))
        && parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()));
    if !region_ok {
        return Err(format!(
            "`{region}` is not an AWS region\n  help: write it like `us-east-1` or `eu-west-1`"
        ));
    }
    let text = format!(
        "#:schema ./{SCHEMA_FILE}\n{}",
        STARTER_SPEC
            .replace("myapp", name)
            .replace("us-east-1", region)
    );
    match crate::Model::load_str("the starter spec", &text) {
        Ok(_) => Ok(text),
        Err(error) => Err(format!(
            "a starter spec for project `{name}` in `{region}` would not validate:\n{error}"
        )),
    }
}
