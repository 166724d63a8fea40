//! The tool reference in Markdown, generated from the registry so the docs cannot drift from
//! what the server serves (`docs/tools.md` is checked against it by a test).

use std::fmt::Write;

use crate::registry::ToolRegistry;
use crate::schema;
use crate::tool::Category;

/// Renders the reference for every tool in `registry`, grouped by category.
pub fn markdown(registry: &ToolRegistry) -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from the tool registry by `cargo test -p octo-tools --test tools_doc`. Do not edit. -->\n\n",
    );
    out.push_str("# Tool reference\n\n");
    out.push_str(
        "Every tool returns an envelope: `isSuccess`, `errorMessage` (on failure), `message`, \
         `tenantId` (when it acted on a tenant) and its own fields below. Parameters marked \
         *required* must be given; unknown parameters are refused.\n\n",
    );
    for category in Category::ALL {
        let tools: Vec<_> = registry
            .descriptors()
            .filter(|d| d.spec.category == *category)
            .collect();
        if tools.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {}\n", category.name());
        for tool in tools {
            let spec = &tool.spec;
            let _ = writeln!(out, "### `{}`\n", spec.name);
            let _ = writeln!(out, "{}\n", spec.description);
            let _ = writeln!(
                out,
                "Access: {}\n",
                match spec.access {
                    crate::tool::Access::Public => "public (no login needed)",
                    crate::tool::Access::Read => "login for the tenant",
                    crate::tool::Access::Write => "login for the tenant, not read-only",
                }
            );
            let a = spec.annotations;
            let _ = writeln!(
                out,
                "Annotations: readOnly={}, destructive={}, idempotent={}, openWorld={}\n",
                a.read_only, a.destructive, a.idempotent, a.open_world
            );
            let parameters = schema::parameters(&tool.input_schema);
            if parameters.is_empty() {
                out.push_str("Parameters: none.\n\n");
            } else {
                out.push_str("| parameter | type | required | description |\n|---|---|---|---|\n");
                for p in parameters {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        p.name,
                        p.kind,
                        if p.required { "required" } else { "optional" },
                        p.description.unwrap_or_default().replace('\n', " ")
                    );
                }
                out.push('\n');
            }
            let fields: Vec<String> = tool
                .output_schema
                .get("properties")
                .and_then(|p| p.as_object())
                .map(|p| {
                    p.keys()
                        .filter(|k| !crate::envelope::ENVELOPE_FIELDS.contains(&k.as_str()))
                        .map(|k| format!("`{k}`"))
                        .collect()
                })
                .unwrap_or_default();
            if !fields.is_empty() {
                let _ = writeln!(out, "Result fields: {}\n", fields.join(", "));
            }
            for example in &spec.examples {
                let _ = writeln!(
                    out,
                    "Example, {}: `{}`\n",
                    example.description.to_lowercase(),
                    example.parameters
                );
            }
            for note in &spec.notes {
                let _ = writeln!(out, "Note: {note}\n");
            }
        }
    }
    out
}
