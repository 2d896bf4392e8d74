//! The fake tokenizer: a "token" is a whitespace-separated word, so token counts and stream
//! pieces are deterministic and easy to predict in tests.

/// Split `text` into pieces that each hold one word with the whitespace before it, so that
/// concatenating the pieces gives back `text` exactly. `"echo: hi  there"` becomes
/// `["echo:", " hi", "  there"]`. Leading whitespace stays with the first word.
pub(crate) fn word_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous_was_space = true;
    for (position, character) in text.char_indices() {
        let is_space = character.is_whitespace();
        // A whitespace run after a word starts the next piece.
        if is_space && !previous_was_space && has_word(&text[start..position]) {
            pieces.push(&text[start..position]);
            start = position;
        }
        previous_was_space = is_space;
    }
    let rest = &text[start..];
    match pieces.last_mut() {
        // Trailing whitespace stays with the last word rather than forming its own piece.
        Some(last) if !has_word(rest) => *last = &text[text.len() - last.len() - rest.len()..],
        _ if !rest.is_empty() => pieces.push(rest),
        _ => {}
    }
    pieces
}

/// The number of whitespace-separated words in `text`.
pub(crate) fn count_words(text: &str) -> u64 {
    u64::try_from(text.split_whitespace().count()).unwrap_or(u64::MAX)
}

fn has_word(text: &str) -> bool {
    text.chars().any(|character| !character.is_whitespace())
}

/// Tool-call arguments are streamed in this many deltas (fewer for short arguments).
pub(crate) const ARGUMENT_PIECES: usize = 3;

/// Split `text` into `count` pieces of about equal length on character boundaries (fewer when
/// the text is shorter); used to stream tool-call arguments in several deltas.
pub(crate) fn even_pieces(text: &str, count: usize) -> Vec<&str> {
    let characters = text.chars().count();
    let per_piece = characters.div_ceil(count.max(1)).max(1);
    let mut pieces = Vec::new();
    let mut start = 0;
    for (seen, (position, _)) in text.char_indices().enumerate() {
        if seen > 0 && seen % per_piece == 0 {
            pieces.push(&text[start..position]);
            start = position;
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_pieces_rebuild_the_text() {
        assert_eq!(word_pieces("echo: hi  there"), ["echo:", " hi", "  there"]);
        assert_eq!(word_pieces("  lead"), ["  lead"]);
        assert_eq!(word_pieces("trail "), ["trail "]);
        assert!(word_pieces("").is_empty());
        assert_eq!(word_pieces("a é b").concat(), "a é b");
    }

    #[test]
    fn even_pieces_cover_the_text_on_char_boundaries() {
        assert_eq!(even_pieces("{\"a\":1}", 3), ["{\"a", "\":1", "}"]);
        assert_eq!(even_pieces("ééé", 2), ["éé", "é"]);
        assert_eq!(even_pieces("", 3), Vec::<&str>::new());
        assert_eq!(count_words(" one two\tthree\n"), 3);
    }
}
