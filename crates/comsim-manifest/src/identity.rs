//! Assembly identities as text: the form `SxsLookupClrGuid` reports (SXS-4) and the Fusion display
//! name the CLR makes of it (SXS-7).

use crate::model::AssemblyIdentity;

/// SXS-4: the name, then each other attribute present, in alphabetical order of attribute name, as
/// `key="value"` — e.g. `MyComponent,language="en-US",publicKeyToken="0123456789abcdef",version="1.2.3.4"`.
pub fn textual_identity(id: &AssemblyIdentity) -> String {
    let mut attrs: Vec<(&str, String)> = Vec::new();
    if let Some(v) = &id.language {
        attrs.push(("language", v.clone()));
    }
    if let Some(v) = &id.processor_architecture {
        attrs.push(("processorArchitecture", v.clone()));
    }
    if let Some(v) = &id.public_key_token {
        attrs.push(("publicKeyToken", v.clone()));
    }
    if let Some(v) = &id.type_ {
        attrs.push(("type", v.clone()));
    }
    if let Some(v) = &id.version {
        attrs.push(("version", v.to_string()));
    }
    attrs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = id.name.clone();
    for (k, v) in attrs {
        out.push_str(&format!(",{k}=\"{v}\""));
    }
    out
}

/// SXS-7 (`TranslateWin32AssemblyIdentityToFusionDisplayName`): lower-case the whole string; append
/// `,version=0.0.0.0` if it has no `version=`; append `,publickeytoken=null` if it has no
/// `publickeytoken=`; then, if it has no `culture=`, replace `language=` with `culture=`, or append
/// `,culture=neutral`. Quotes are kept; the display-name parser accepts them.
pub fn win32_to_fusion_display_name(textual: &str) -> String {
    let mut s = textual.to_lowercase();
    if !s.contains("version=") {
        s.push_str(",version=0.0.0.0");
    }
    if !s.contains("publickeytoken=") {
        s.push_str(",publickeytoken=null");
    }
    if !s.contains("culture=") {
        if s.contains("language=") {
            s = s.replacen("language=", "culture=", 1);
        } else {
            s.push_str(",culture=neutral");
        }
    }
    s
}

/// The textual identity without a `language="*"` attribute, when it has one (SXS-7's inferred
/// reading of `*` as any language, that is no particular culture); `None` otherwise.
pub fn without_any_language(textual: &str) -> Option<String> {
    let lower = textual.to_ascii_lowercase();
    let at = lower.find(",language=\"*\"")?;
    let mut out = textual.to_owned();
    out.replace_range(at..at + ",language=\"*\"".len(), "");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Version;
    use comsim_diag::Location;

    fn id() -> AssemblyIdentity {
        AssemblyIdentity {
            name: "MyComponent".into(),
            version: Version::parse("1.2.3.4"),
            type_: None,
            processor_architecture: None,
            public_key_token: Some("0123456789abcdef".into()),
            language: Some("en-US".into()),
            location: Location::new("m", 1, 1),
        }
    }

    #[test]
    fn sxs4_textual_identity_lists_attributes_alphabetically() {
        assert_eq!(
            textual_identity(&id()),
            r#"MyComponent,language="en-US",publicKeyToken="0123456789abcdef",version="1.2.3.4""#
        );
        let mut i = id();
        i.processor_architecture = Some("msil".into());
        i.type_ = Some("win32".into());
        assert_eq!(
            textual_identity(&i),
            r#"MyComponent,language="en-US",processorArchitecture="msil",publicKeyToken="0123456789abcdef",type="win32",version="1.2.3.4""#
        );
    }

    #[test]
    fn sxs7_translation_lowercases_and_fills_in_missing_parts() {
        assert_eq!(
            win32_to_fusion_display_name(&textual_identity(&id())),
            r#"mycomponent,culture="en-us",publickeytoken="0123456789abcdef",version="1.2.3.4""#
        );
        assert_eq!(
            win32_to_fusion_display_name("Foo"),
            "foo,version=0.0.0.0,publickeytoken=null,culture=neutral"
        );
        assert_eq!(
            win32_to_fusion_display_name(r#"Foo,culture="fr",language="de""#),
            r#"foo,culture="fr",language="de",version=0.0.0.0,publickeytoken=null"#
        );
    }

    /// SXS-7 (inferred): `language="*"` is copied as `culture="*"`; read as any language, the
    /// attribute goes and the translation appends `culture=neutral`.
    #[test]
    fn sxs7_language_any_is_literal_or_removed() {
        let textual = r#"Northwind.Meters,language="*",version="1.0.0.0""#;
        assert_eq!(
            win32_to_fusion_display_name(textual),
            r#"northwind.meters,culture="*",version="1.0.0.0",publickeytoken=null"#
        );
        let neutral = without_any_language(textual).expect("a language=\"*\"");
        assert_eq!(
            win32_to_fusion_display_name(&neutral),
            r#"northwind.meters,version="1.0.0.0",publickeytoken=null,culture=neutral"#
        );
        assert_eq!(
            without_any_language(r#"A,language="de",version="1.0.0.0""#),
            None
        );
    }
}
