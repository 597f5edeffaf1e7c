//! The console (SPEC §4) is served by the binary: its page at `/` (never cached, a CSP that
//! allows nothing from outside), its content-hashed assets immutable, nothing else added.

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    the_console_is_served_from_the_binary,
    problems_read_in_chinese_when_asked
);

async fn the_console_is_served_from_the_binary(app: TestApp) {
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let page = app.client.get(format!("{root}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"app\">"), "{html}");
    // No URL outside finmatch: every script and stylesheet is under /assets/.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{html}");
    for a in assets {
        let r = app.client.get(format!("{root}{a}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{a}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let body = r.bytes().await.unwrap();
        assert!(!body.is_empty());
    }
    let missing = app
        .client
        .get(format!("{root}/assets/nothing-here.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
}

/// `Accept-Language: zh-CN` renders a problem's title, detail and field messages in Chinese;
/// without it nothing changes (integrators read English).
async fn problems_read_in_chinese_when_asked(app: TestApp) {
    let (_, ent) = app.enterprise("370202").await;
    let bad = serde_json::json!({"amount": "abc", "term_months": 12, "purpose": "working_capital",
        "guarantee_methods": ["credit"], "description": "x"});
    let zh = app
        .request(
            reqwest::Method::POST,
            "/api/v1/demands",
            Some(&ent),
            Some(&bad),
            &[("accept-language", "zh-CN")],
        )
        .await;
    zh.assert_problem(422, "invalid_body");
    assert_eq!(zh.headers["vary"], "Accept-Language");
    assert_eq!(zh.body["title"], "请求体无效");
    assert_eq!(zh.body["errors"][0]["field"], "amount");
    assert_eq!(
        zh.body["errors"][0]["message"],
        "金额须为十进制字符串，如 \"1500000.00\"（单位元，最多两位小数）"
    );
    let en = app.post("/api/v1/demands", &ent, &bad).await;
    en.assert_problem(422, "invalid_body");
    assert!(en.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("amount must be a decimal string"));
    // A field rule's message, and a problem whose detail finmatch does not translate.
    let missing = app
        .request(
            reqwest::Method::POST,
            "/api/v1/subsidy-claims/999999/reject",
            Some(&app.admin_token),
            Some(&serde_json::json!({"reason": " "})),
            &[("accept-language", "zh-CN,en;q=0.5")],
        )
        .await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0]["message"], "为必填项");
}
