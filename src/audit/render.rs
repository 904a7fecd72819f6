//! The human-readable audit report.

use std::fmt::Write;

use super::AuditReport;

fn mark(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

/// Renders the report as aligned text tables with a summary line.
pub fn render_text(report: &AuditReport) -> String {
    let mut out = String::new();
    let width = report
        .tables
        .iter()
        .map(|table| table.table.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(
        out,
        "{:width$}  {:15}  {:7}  {:6}  {:8}  {:7}  {:32}  status",
        "table", "class", "enabled", "forced", "acct nn", "acct ix", "policies (command)"
    );
    for table in &report.tables {
        let policies = table
            .policies
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|policy| {
                        format!(
                            "{}({})",
                            policy["name"].as_str().unwrap_or("?"),
                            policy["command"].as_str().unwrap_or("?")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let status = if table.gaps.is_empty() {
            "ok".to_owned()
        } else {
            format!("GAP: {}", table.gaps.join("; "))
        };
        let _ = writeln!(
            out,
            "{:width$}  {:15}  {:7}  {:6}  {:8}  {:7}  {:32}  {status}",
            table.table,
            table.class.as_deref().unwrap_or("-"),
            mark(table.rls_enabled),
            mark(table.rls_forced),
            mark(table.account_id_not_null),
            mark(table.account_id_indexed),
            policies,
        );
    }

    let _ = writeln!(out, "\nroles");
    for role in &report.roles {
        let _ = writeln!(
            out,
            "  {:18} superuser={:5} bypassrls={:5} login={:5} member_of={{{}}} {}",
            role.role,
            role.superuser,
            role.bypass_rls,
            role.can_login,
            role.member_of.join(","),
            if role.gaps.is_empty() {
                "ok".to_owned()
            } else {
                format!("GAP: {}", role.gaps.join("; "))
            }
        );
    }

    let _ = writeln!(
        out,
        "\nfunctions (security definer doors and policy helpers)"
    );
    for function in &report.functions {
        let _ = writeln!(
            out,
            "  {:36} {:16} owner={} search_path_pinned={} app_execute={} public_execute={} {}",
            function.function,
            function.kind,
            function.owner,
            function.search_path_pinned,
            function.app_can_execute,
            function.public_can_execute,
            if function.gaps.is_empty() {
                "ok".to_owned()
            } else {
                format!("GAP: {}", function.gaps.join("; "))
            }
        );
    }
    for relation in &report.relations {
        let _ = writeln!(
            out,
            "  {} {}: GAP: {}",
            relation.kind, relation.relation, relation.gap
        );
    }

    let gaps = report.gaps();
    let _ = writeln!(
        out,
        "\n{} of {} tables covered; admin reach: {}; {} gap(s)",
        report.covered(),
        report.tables.len(),
        report.admin_mode,
        gaps.len()
    );
    out
}
