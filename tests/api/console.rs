//! The console (SPEC §4) is served by the binary: its page at `/` (never cached, a CSP that
//! allows nothing from outside), its content-hashed assets immutable, nothing else added.

use crate::both_backends;
use crate::helpers::*;

both_backends!(the_console_is_served_from_the_binary);

async fn the_console_is_served_from_the_binary(app: TestApp) {
    let root = app.base.trim_end_matches("/api/v1").to_owned();
    let page = app.client.get(format!("{root}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"app\">"), "{html}");
    // No URL outside finmatch: every script and stylesheet is under /assets/.
    assert!(!html.contains("http://") && !html.contains("https://"), "{html}");
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{html}");
    for a in assets {
        let r = app.client.get(format!("{root}{a}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{a}");
        assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
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
    assert_eq!(missing.headers()["content-type"], "application/problem+json");
}
