//! Decides which event-log records to render. Rendering every record to JSON was most of the time spent on a
//! System log, where few records come from the providers the mapping reads; a record's template substitution
//! values (read without rendering) and what the chunk's templates were seen to hold tell which records can
//! be passed over.

use super::MAPPED_PROVIDERS;
use ::evtx::EvtxRecord;
use ::evtx::binxml::value_variant::BinXmlValue;

/// Where a record template puts the provider's name, learnt from the first record rendered with it.
#[derive(Clone, Copy)]
enum TemplateProvider {
    /// The name is one of the substitution values (manifest-based providers).
    Substituted,
    /// The name is written into the template itself (classic providers such as `EventLog`, `User32`); whether
    /// the mapping reads that provider.
    Literal { mapped: bool },
}

/// The templates learnt in the chunk a parser thread is on: a chunk is parsed whole by one thread, and a
/// template's offset identifies it within its chunk only.
#[derive(Default)]
struct ChunkTemplates {
    chunk: Option<(String, u64)>,
    by_offset: std::collections::HashMap<u32, TemplateProvider>,
}

thread_local! {
    static TEMPLATE_PROVIDERS: std::cell::RefCell<ChunkTemplates> = std::cell::RefCell::new(ChunkTemplates::default());
}

/// What the record's template substitution values say about its provider, before rendering it.
pub(super) struct Substitutions {
    /// The template's definition offset in the chunk.
    template: u32,
    names_mapped_provider: bool,
    known: Option<TemplateProvider>,
    /// The UTF-16LE string values, kept only while the template is not known yet (to learn it).
    strings: Vec<Vec<u8>>,
}

pub(super) fn substitutions(record: &EvtxRecord<'_>, path: &str) -> Option<Substitutions> {
    static NAMES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| MAPPED_PROVIDERS.iter().map(|name| utf16le(name)).collect());
    let instances = record.template_instances().ok()?;
    let template = instances.first()?.template_def_offset;
    let chunk = record.chunk.header.first_event_record_id;
    let known = TEMPLATE_PROVIDERS.with(|learnt| {
        let mut learnt = learnt.borrow_mut();
        if learnt.chunk.as_ref().is_none_or(|(p, c)| p != path || *c != chunk) {
            learnt.chunk = Some((path.to_string(), chunk));
            learnt.by_offset.clear();
        }
        learnt.by_offset.get(&template).copied()
    });
    let mut strings = Vec::new();
    let mut names_mapped_provider = false;
    for value in instances.iter().flat_map(|instance| &instance.values) {
        let bytes: std::borrow::Cow<'_, [u8]> = match value {
            BinXmlValue::StringType(text) => text.as_bytes().into(),
            BinXmlValue::AnsiStringType(text) => utf16le(text).into(),
            _ => continue,
        };
        names_mapped_provider |= names.iter().any(|name| name.as_slice() == bytes.as_ref());
        if known.is_none() {
            strings.push(bytes.into_owned());
        }
    }
    Some(Substitutions { template, names_mapped_provider, known, strings })
}

/// Whether a record must be rendered: it may come from a provider the mapping reads. Rendering every record
/// was most of the time spent on a System log, where few records come from mapped providers. A record is
/// passed over only when its substitution values name no mapped provider and its template is known to carry
/// the name as a substitution, or to carry an unmapped name itself.
pub(super) fn must_render(found: &Option<Substitutions>) -> bool {
    let Some(found) = found else { return true };
    if found.names_mapped_provider {
        return true;
    }
    match found.known {
        Some(TemplateProvider::Substituted) | Some(TemplateProvider::Literal { mapped: false }) => false,
        Some(TemplateProvider::Literal { mapped: true }) | None => true,
    }
}

/// Remembers where a rendered record's template puts the provider's name.
pub(super) fn learn_template(found: &Option<Substitutions>, provider: &str) {
    let Some(Substitutions { template, known: None, strings, .. }) = found else {
        return;
    };
    let learnt = if strings.contains(&utf16le(provider)) {
        TemplateProvider::Substituted
    } else {
        TemplateProvider::Literal { mapped: MAPPED_PROVIDERS.contains(&provider) }
    };
    TEMPLATE_PROVIDERS.with(|known| {
        known.borrow_mut().by_offset.entry(*template).or_insert(learnt);
    });
}

/// Text as the UTF-16LE bytes event logs store strings in.
fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}
