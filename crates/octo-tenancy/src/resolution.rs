//! Which tenant a tool call acts on.
//!
//! The order is fixed: the tool's `tenantId` parameter wins (priority 1), then the tenant in the
//! legacy `/{tenantId}/mcp` URL; with neither the call fails. Nothing is remembered between
//! calls, so every call says (through [`TenantSource`]) where its tenant came from.

use octo_ids::TenantId;

use crate::error::TenancyError;

/// Where a resolved tenant came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantSource {
    /// The tool's `tenantId` parameter.
    Parameter,
    /// The `/{tenantId}/mcp` URL the client registered.
    Path,
}

/// The tenant a call acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTenant {
    pub tenant_id: TenantId,
    pub source: TenantSource,
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// Resolves the tenant from the tool parameter and the URL tenant, in that order. A blank
/// parameter counts as absent, as in the reference server.
pub fn resolve(
    parameter: Option<&str>,
    url_tenant: Option<&str>,
) -> Result<ResolvedTenant, TenancyError> {
    let (text, source) = match (non_blank(parameter), non_blank(url_tenant)) {
        (Some(text), _) => (text, TenantSource::Parameter),
        (None, Some(text)) => (text, TenantSource::Path),
        (None, None) => return Err(TenancyError::NoTenant),
    };
    let tenant_id = text.parse::<TenantId>()?;
    Ok(ResolvedTenant { tenant_id, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_wins_over_the_path() {
        let resolved = resolve(Some("acme"), Some("plant7")).expect("resolves");
        assert_eq!(resolved.tenant_id.as_str(), "acme");
        assert_eq!(resolved.source, TenantSource::Parameter);
    }

    #[test]
    fn the_path_is_the_fallback() {
        let resolved = resolve(None, Some("plant7")).expect("resolves");
        assert_eq!(resolved.tenant_id.as_str(), "plant7");
        assert_eq!(resolved.source, TenantSource::Path);
        let blank = resolve(Some("  "), Some("plant7")).expect("resolves");
        assert_eq!(blank.source, TenantSource::Path);
    }

    #[test]
    fn neither_is_no_tenant_with_how_to_fix_it() {
        let error = resolve(None, None).expect_err("no tenant");
        let message = error.to_string();
        assert!(
            message.starts_with("No tenant could be resolved"),
            "{message}"
        );
        assert!(message.contains("tenantId"), "{message}");
        assert!(message.contains("/{tenantId}/mcp"), "{message}");
    }

    #[test]
    fn an_invalid_parameter_is_reported_not_skipped() {
        let error = resolve(Some("Not A Tenant"), Some("plant7")).expect_err("invalid");
        assert!(error.to_string().starts_with("Invalid TenantId"), "{error}");
    }
}
