//! Problem messages in Chinese for `Accept-Language: zh-CN` (SPEC §4; English stays the
//! default, so integrators see no change). The API writes its messages in English; this
//! renders the known ones — whole phrases and the common shapes of field messages — in
//! Chinese. A detail it does not know is prefixed with the problem code's Chinese label and
//! kept in English, so a reader always sees what went wrong.

use serde_json::Value;

use crate::app::error::ProblemCode;

/// Whole messages.
const PHRASES: &[(&str, &str)] = &[
    ("is required", "为必填项"),
    ("is required (拒单有原因)", "为必填项（拒单须说明原因）"),
    ("must be greater than 0", "必须大于 0"),
    ("must not be in the future", "不得晚于今天"),
    ("must not be in the past", "不得早于今天"),
    ("must not be empty", "不得为空"),
    ("must not be blank", "不得为空白"),
    ("must be 2, 4 or 6 digits", "须为 2、4 或 6 位数字"),
    ("must be a 6-digit 行政区划代码", "须为 6 位行政区划代码"),
    ("is not a guarantor organization", "不是担保机构"),
    ("is not a region prefix", "不是有效的地区前缀"),
    (
        "must name at least one guarantee method",
        "须至少选择一种担保方式",
    ),
    ("must be exactly 18 characters", "须为 18 位"),
    ("must not be below min_amount", "不得低于最低额度"),
    ("must not be below min_rate", "不得低于最低利率"),
    ("must not be below min_term_months", "不得短于最短期限"),
    ("must be after period_start", "须晚于期间开始日"),
    ("must not be before from", "不得早于开始日期"),
    ("must not contain NUL characters", "不得包含 NUL 字符"),
    ("is wrong", "不正确"),
    (
        "amount must be a decimal string such as \"1500000.00\" (yuan, at most 2 decimals)",
        "金额须为十进制字符串，如 \"1500000.00\"（单位元，最多两位小数）",
    ),
    (
        "rate must be a decimal string of percent per year such as \"3.45\" (at most 4 decimals)",
        "利率须为年化百分比的十进制字符串，如 \"3.45\"（最多四位小数）",
    ),
    (
        "must be a decimal string of percent per year such as \"3.45\" (at most 4 decimals)",
        "须为年化百分比的十进制字符串，如 \"3.45\"（最多四位小数）",
    ),
    ("invalid username or password", "用户名或密码错误"),
    ("no such route", "请求的地址不存在"),
    ("no such resource", "资源不存在"),
    ("the request cannot be parsed", "请求无法解析"),
    ("request body is too large", "请求体过大"),
    ("an internal error occurred", "服务器内部错误"),
    ("authentication required", "请先登录"),
];

/// A field message or detail in Chinese, if finmatch knows it.
pub fn message(en: &str) -> Option<String> {
    if let Some((_, zh)) = PHRASES.iter().find(|(e, _)| *e == en) {
        return Some((*zh).to_owned());
    }
    let shapes: [(&str, &str, &str); 9] = [
        ("is required for base ", "", "采用 {} 计算方式时必填"),
        (
            "is not a parameter of an interest_subsidy rule with base ",
            "",
            "不是 {} 计算方式的贴息规则参数",
        ),
        (
            "is not a parameter of a ",
            " rule",
            "不是 {} 政策规则的参数",
        ),
        ("must be at most ", " characters", "最多 {} 个字符"),
        ("must not precede ", "", "不得早于 {}"),
        ("must not be before ", "", "不得早于 {}"),
        ("must be in ", "", "须在 {} 年内"),
        ("must lie within your region ", "", "须在本辖区 {} 之内"),
        ("must sum to 100, not ", "", "合计须为 100，当前为 {}"),
    ];
    for (pre, post, zh) in shapes {
        if let Some(mid) = en.strip_prefix(pre).and_then(|r| r.strip_suffix(post)) {
            return Some(zh.replace("{}", mid));
        }
    }
    if let Some((lo, hi)) = en
        .strip_prefix("must be ")
        .and_then(|r| r.strip_suffix(" characters"))
        .and_then(|r| r.split_once(" to "))
    {
        return Some(format!("须为 {lo} 到 {hi} 个字符"));
    }
    if let Some(rest) = en.strip_prefix("must be between ") {
        if let Some((lo, hi)) = rest.split_once(" and ") {
            return Some(format!("须在 {lo} 到 {hi} 之间"));
        }
    }
    // "field: message", as invalid bodies report it.
    let (field, msg) = en.split_once(": ")?;
    let field_ok = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    if field_ok {
        return message(msg).map(|m| format!("{field}：{m}"));
    }
    None
}

/// The problem+json `body` with its detail and field messages in Chinese.
pub fn problem(body: &[u8]) -> Option<Vec<u8>> {
    let mut p: Value = serde_json::from_slice(body).ok()?;
    let code = p["code"].as_str().unwrap_or_default().to_owned();
    let label = ProblemCode::parse(&code).map(ProblemCode::label_zh);
    if let Some(detail) = p["detail"].as_str() {
        let zh = match (message(detail), label) {
            (Some(m), _) => m,
            (None, Some(l)) => format!("{l}：{detail}"),
            (None, None) => detail.to_owned(),
        };
        p["detail"] = Value::String(zh);
    }
    if let Some(l) = label {
        p["title"] = Value::String(l.to_owned());
    }
    if let Some(errors) = p["errors"].as_array_mut() {
        for e in errors {
            if let Some(m) = e["message"].as_str().and_then(message) {
                e["message"] = Value::String(m);
            }
        }
    }
    serde_json::to_vec(&p).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_messages_and_shapes_read_in_chinese() {
        assert_eq!(message("is required").unwrap(), "为必填项");
        assert_eq!(
            message("must be at most 200 characters").unwrap(),
            "最多 200 个字符"
        );
        assert_eq!(
            message("must be between 1 and 360").unwrap(),
            "须在 1 到 360 之间"
        );
        assert_eq!(
            message("amount: must be greater than 0").unwrap(),
            "amount：必须大于 0"
        );
        assert!(message("something nobody wrote").is_none());
        let body = br#"{"type":"t","title":"Unprocessable Entity","status":422,"code":"validation_failed","detail":"one or more fields are invalid","errors":[{"field":"reason","message":"is required"},{"field":"x","message":"odd"}]}"#;
        let p: Value = serde_json::from_slice(&problem(body).unwrap()).unwrap();
        assert_eq!(p["title"], "字段校验失败");
        assert_eq!(p["detail"], "字段校验失败：one or more fields are invalid");
        assert_eq!(p["errors"][0]["message"], "为必填项");
        assert_eq!(p["errors"][1]["message"], "odd");
        assert_eq!(p["errors"][0]["field"], "reason");
    }
}
