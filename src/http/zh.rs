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
        "must be an http or https URL without credentials",
        "须为不含用户名密码的 http 或 https 地址",
    ),
    ("must name a host", "须包含主机名"),
    (
        "must point at a public address (loopback, private, link-local and metadata addresses are refused)",
        "须指向公网地址（不接受回环、内网、链路本地和元数据地址）",
    ),
    ("must be an absolute http or https URL", "须为完整的 http 或 https 地址"),
    ("must name at least one event", "须至少选择一种事件"),
    ("one or more fields are invalid", "有字段未通过校验"),
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
    let shapes: [(&str, &str, &str); 10] = [
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
        (
            "must not precede the disbursement (",
            ")",
            "不得早于放款日 {}",
        ),
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
    if let Some(n) = en
        .strip_suffix(" fields are invalid")
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(format!("{n} 个字段有误"));
    }
    if let Some(m) = serde(en) {
        return Some(m);
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

/// serde's own messages for a body of the wrong shape ("invalid type: string \"x\",
/// expected i64", "unknown variant `x`, expected one of …", "missing field `x`") and
/// chrono's for a malformed date.
fn serde(en: &str) -> Option<String> {
    let expected = |e: &str| -> String {
        let e = e.trim();
        match e {
            "u8" | "u16" | "u32" | "u64" => "非负整数".to_owned(),
            "i8" | "i16" | "i32" | "i64" => "整数".to_owned(),
            "a string" => "字符串".to_owned(),
            "a boolean" => "布尔值（true 或 false）".to_owned(),
            "a sequence" => "数组".to_owned(),
            "a map" => "对象".to_owned(),
            _ if e.starts_with("struct ") => "对象".to_owned(),
            _ if e.contains("date") => "YYYY-MM-DD 格式的日期".to_owned(),
            other => other.to_owned(),
        }
    };
    let value = |v: &str| -> String {
        let v = v.trim();
        if let Some(x) = v.strip_prefix("integer ") {
            format!("整数 {x}")
        } else if let Some(x) = v.strip_prefix("string ") {
            format!("字符串 {x}")
        } else if let Some(x) = v.strip_prefix("floating point ") {
            format!("小数 {x}")
        } else if let Some(x) = v.strip_prefix("boolean ") {
            format!("布尔值 {x}")
        } else {
            match v {
                "null" => "null".to_owned(),
                "sequence" => "数组".to_owned(),
                "map" => "对象".to_owned(),
                other => other.to_owned(),
            }
        }
    };
    if let Some((got, exp)) = en
        .strip_prefix("invalid value: ")
        .and_then(|r| r.split_once(", expected "))
    {
        return Some(format!("取值无效（{}），应为{}", value(got), expected(exp)));
    }
    if let Some((got, exp)) = en
        .strip_prefix("invalid type: ")
        .and_then(|r| r.split_once(", expected "))
    {
        return Some(format!("类型错误（{}），应为{}", value(got), expected(exp)));
    }
    if let Some((v, exp)) = en
        .strip_prefix("unknown variant ")
        .and_then(|r| r.split_once(", expected "))
    {
        let choices = exp.strip_prefix("one of ").unwrap_or(exp);
        return Some(format!("未知取值 {v}，可选：{choices}"));
    }
    if let Some((f, _)) = en
        .strip_prefix("unknown field ")
        .and_then(|r| r.split_once(", expected "))
    {
        return Some(format!("未知字段 {f}"));
    }
    if let Some(f) = en.strip_prefix("missing field ") {
        return Some(format!("缺少字段 {f}"));
    }
    if let Some(n) = en
        .strip_prefix("invalid length ")
        .and_then(|r| r.split_once(", expected "))
        .map(|(n, _)| n)
    {
        return Some(format!("长度无效（{n}）"));
    }
    match en {
        "input contains invalid characters"
        | "premature end of input"
        | "trailing input"
        | "input is out of range"
        | "input is not enough for unique date and time" => {
            Some("日期格式应为 YYYY-MM-DD，且须为有效日期".to_owned())
        }
        _ => None,
    }
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
        assert_eq!(
            message("invalid value: integer `-1`, expected u32").unwrap(),
            "取值无效（整数 `-1`），应为非负整数"
        );
        assert_eq!(
            message("invalid type: string \"x\", expected i64").unwrap(),
            "类型错误（字符串 \"x\"），应为整数"
        );
        assert_eq!(
            message("unknown variant `cash`, expected one of `credit`, `pledge`").unwrap(),
            "未知取值 `cash`，可选：`credit`, `pledge`"
        );
        assert_eq!(
            message("premature end of input").unwrap(),
            "日期格式应为 YYYY-MM-DD，且须为有效日期"
        );
        assert_eq!(message("3 fields are invalid").unwrap(), "3 个字段有误");
        let body = br#"{"type":"t","title":"Unprocessable Entity","status":422,"code":"validation_failed","detail":"a detail nobody translated","errors":[{"field":"reason","message":"is required"},{"field":"x","message":"odd"}]}"#;
        let p: Value = serde_json::from_slice(&problem(body).unwrap()).unwrap();
        assert_eq!(p["title"], "字段校验失败");
        assert_eq!(p["detail"], "字段校验失败：a detail nobody translated");
        assert_eq!(p["errors"][0]["message"], "为必填项");
        assert_eq!(p["errors"][1]["message"], "odd");
        assert_eq!(p["errors"][0]["field"], "reason");
    }
}
