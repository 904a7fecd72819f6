//! Provider names as LiteLLM spells them in `litellm_params.model`
//! (`openai/gpt-4o`, `azure/my-deployment`, `groq/llama3-8b-8192`...), the
//! wire style each speaks and its default base URL.

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiStyle {
    /// OpenAI's API (`Authorization: Bearer`), by far the most common.
    OpenAi,
    /// Azure OpenAI: deployment paths, `api-version`, `api-key` header.
    Azure,
    Anthropic,
    Gemini,
    Bedrock,
    Cohere,
}

/// A provider: its LiteLLM name, wire style and default base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub style: ApiStyle,
    pub default_base: Option<&'static str>,
}

/// OpenAI-compatible providers with a known public endpoint.
const OPENAI_COMPATIBLE: &[(&str, Option<&str>)] = &[
    ("openai", Some("https://api.openai.com/v1")),
    ("text-completion-openai", Some("https://api.openai.com/v1")),
    ("groq", Some("https://api.groq.com/openai/v1")),
    ("mistral", Some("https://api.mistral.ai/v1")),
    ("together_ai", Some("https://api.together.xyz/v1")),
    (
        "fireworks_ai",
        Some("https://api.fireworks.ai/inference/v1"),
    ),
    ("deepseek", Some("https://api.deepseek.com/v1")),
    ("openrouter", Some("https://openrouter.ai/api/v1")),
    ("perplexity", Some("https://api.perplexity.ai")),
    ("xai", Some("https://api.x.ai/v1")),
    ("deepinfra", Some("https://api.deepinfra.com/v1/openai")),
    ("cerebras", Some("https://api.cerebras.ai/v1")),
    ("sambanova", Some("https://api.sambanova.ai/v1")),
    ("nvidia_nim", Some("https://integrate.api.nvidia.com/v1")),
    ("ollama", Some("http://127.0.0.1:11434/v1")),
    ("ollama_chat", Some("http://127.0.0.1:11434/v1")),
    ("lm_studio", Some("http://127.0.0.1:1234/v1")),
    ("hosted_vllm", None),
    ("vllm", None),
    ("openai_like", None),
    ("custom_openai", None),
    ("azure_ai", None),
    ("jina_ai", Some("https://api.jina.ai/v1")),
];

impl Provider {
    /// Splits `litellm_params.model` into its provider and upstream model.
    /// An explicit `custom_llm_provider` wins over the prefix; a bare model
    /// name is attributed as LiteLLM does (Claude to Anthropic, Gemini to
    /// Google, Command to Cohere, everything else to OpenAI).
    pub fn parse(model: &str, custom_llm_provider: Option<&str>) -> (Provider, String) {
        if let Some(name) = custom_llm_provider.filter(|name| !name.is_empty()) {
            let upstream = model
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(model);
            return (Self::named(name), upstream.to_owned());
        }
        if let Some((prefix, rest)) = model.split_once('/')
            && let Some(provider) = Self::known(prefix)
        {
            return (provider, rest.to_owned());
        }
        let inferred = if model.starts_with("claude") {
            "anthropic"
        } else if model.starts_with("gemini") {
            "gemini"
        } else if model.starts_with("command") {
            "cohere"
        } else {
            "openai"
        };
        (Self::named(inferred), model.to_owned())
    }

    /// A provider by LiteLLM name; unknown names are treated as OpenAI-compatible.
    pub fn named(name: &str) -> Provider {
        Self::known(name).unwrap_or(Provider {
            name: name.to_owned(),
            style: ApiStyle::OpenAi,
            default_base: None,
        })
    }

    fn known(name: &str) -> Option<Provider> {
        let style = match name {
            "azure" => Some((ApiStyle::Azure, None)),
            "anthropic" => Some((ApiStyle::Anthropic, Some("https://api.anthropic.com"))),
            "gemini" => Some((
                ApiStyle::Gemini,
                Some("https://generativelanguage.googleapis.com"),
            )),
            "bedrock" | "bedrock_converse" => Some((ApiStyle::Bedrock, None)),
            "cohere" | "cohere_chat" => Some((ApiStyle::Cohere, Some("https://api.cohere.com"))),
            _ => OPENAI_COMPATIBLE
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, base)| (ApiStyle::OpenAi, *base)),
        };
        style.map(|(style, default_base)| Provider {
            name: name.to_owned(),
            style,
            default_base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_name_the_provider() {
        let (provider, model) = Provider::parse("groq/llama3-8b-8192", None);
        assert_eq!(
            (provider.name.as_str(), provider.style, model.as_str()),
            ("groq", ApiStyle::OpenAi, "llama3-8b-8192")
        );
        let (provider, model) = Provider::parse("azure/my-gpt4o", None);
        assert_eq!(
            (provider.style, model.as_str()),
            (ApiStyle::Azure, "my-gpt4o")
        );
        let (provider, model) =
            Provider::parse("bedrock/anthropic.claude-3-haiku-20240307-v1:0", None);
        assert_eq!(
            (provider.style, model.as_str()),
            (ApiStyle::Bedrock, "anthropic.claude-3-haiku-20240307-v1:0")
        );
    }

    #[test]
    fn bare_names_are_attributed_like_litellm() {
        assert_eq!(Provider::parse("gpt-4o", None).0.name, "openai");
        assert_eq!(
            Provider::parse("claude-3-5-sonnet-20241022", None).0.style,
            ApiStyle::Anthropic
        );
        assert_eq!(
            Provider::parse("gemini-1.5-pro", None).0.style,
            ApiStyle::Gemini
        );
        // An unknown prefix is part of the model name (e.g. an OpenRouter-style id).
        let (provider, model) = Provider::parse("meta-llama/Llama-3-8b", None);
        assert_eq!(
            (provider.name.as_str(), model.as_str()),
            ("openai", "meta-llama/Llama-3-8b")
        );
    }

    #[test]
    fn an_explicit_provider_wins() {
        let (provider, model) = Provider::parse("my-model", Some("hosted_vllm"));
        assert_eq!(
            (provider.name.as_str(), provider.style, model.as_str()),
            ("hosted_vllm", ApiStyle::OpenAi, "my-model")
        );
    }
}
