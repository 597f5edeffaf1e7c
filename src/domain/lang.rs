//! The language an explanation is rendered in: English (the default, what integrators read)
//! or Chinese (`Accept-Language: zh-CN`, what the console asks for).

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The first language of an `Accept-Language` header that finmatch speaks (q-values
    /// respected); English when there is none.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(h) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// A sentence written in English and Chinese by the rule that decides it; the edge renders
/// it in the caller's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    pub fn in_lang(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// Texts in one language.
pub fn render(texts: &[Text], lang: Lang) -> Vec<String> {
    texts.iter().map(|t| t.in_lang(lang).to_owned()).collect()
}

/// Items as an English list ("a, b").
pub fn list_en<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Items by their Chinese labels, joined with 、.
pub fn list_zh<T: Copy>(items: &[T], label: fn(T) -> &'static str) -> String {
    items
        .iter()
        .map(|i| label(*i))
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn accept_language_picks_the_preferred_one_we_speak() {
        let l = |h| Lang::from_accept_language(h);
        assert_eq!(l(None), Lang::En);
        assert_eq!(l(Some("zh-CN")), Lang::Zh);
        assert_eq!(l(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(l(Some("en-US,zh;q=0.5")), Lang::En);
        assert_eq!(l(Some("fr-FR,zh-Hans;q=0.7")), Lang::Zh);
        assert_eq!(l(Some("de")), Lang::En);
        assert_eq!(l(Some("zh;q=0")), Lang::En);
    }
}
