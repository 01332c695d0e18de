//! tantivy's `en_stem` analyzer with a memo in front of the Snowball stemmer.
//!
//! Indexing 10,000 postmortems stems about ten million words drawn from a vocabulary of a
//! few tens of thousands; the stemmer was an eighth of the build's CPU time. Same tokenizer,
//! same filters, same stemmer (frostem, pinned to the version tantivy uses so the stems are
//! identical), so the index is the one `en_stem` would make and queries parse with the
//! stock analyzer.

use std::mem;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

pub const NAME: &str = "en_stem";

/// Every word the analyzer has seen (lowercased, as indexed) and its stem: after indexing,
/// the vocabulary of the corpus, which the browser export ships so the client needs no
/// stemmer.
pub type Memo = Arc<Mutex<FxHashMap<String, String>>>;

/// The `en_stem` pipeline, memoized in `memo`, with each line's positions from a multiple of
/// [`LINE_STRIDE`] (see [`Lines`]).
pub fn analyzer(memo: Memo) -> TextAnalyzer {
    TextAnalyzer::builder(Lines(SimpleTokenizer::default()))
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(MemoStemmer { memo })
        .build()
}

/// Lines start at a multiple of this many positions.
pub const LINE_STRIDE: usize = 1024;

/// A tokenizer whose positions restart at the next multiple of [`LINE_STRIDE`] on each new
/// line (leaving at least one position free): a line's positions then depend on how many
/// strides the lines before it fill, not on their exact lengths. Editing a sentence of one
/// section (a line of the body field) moves the positions of that line only, so the
/// browser export's position files change for the words of that line, not for every word
/// after it (issue 11's stable output). A phrase never spans two lines, as it never spans
/// two values of a field. The number of tokens, hence the field norms, is unchanged.
#[derive(Clone)]
pub struct Lines<T>(pub T);

impl<T: Tokenizer> Tokenizer for Lines<T> {
    type TokenStream<'a> = LinesStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        LinesStream {
            inner: self.0.token_stream(text),
            text,
            scanned: 0,
            next: 0,
        }
    }
}

pub struct LinesStream<'a, T> {
    inner: T,
    text: &'a str,
    /// Where the previous token ended: a newline after it starts a line.
    scanned: usize,
    /// The position of the next token on the same line.
    next: usize,
}

impl<T: TokenStream> TokenStream for LinesStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.inner.advance() {
            return false;
        }
        let token = self.inner.token_mut();
        let between = self
            .text
            .as_bytes()
            .get(self.scanned..token.offset_from)
            .unwrap_or_default();
        if self.next > 0 && between.contains(&b'\n') {
            self.next = (self.next / LINE_STRIDE + 1) * LINE_STRIDE;
        }
        self.scanned = token.offset_to;
        token.position = self.next;
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        self.inner.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}

#[derive(Clone)]
pub struct MemoStemmer {
    memo: Memo,
}

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner,
            memo: self.memo,
        }
    }
}

#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
    memo: Memo,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            // Locked once per text, not per word; only one thread indexes.
            memo: self.memo.lock().unwrap_or_else(PoisonError::into_inner),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

pub struct MemoStemmerStream<'a, T> {
    tail: T,
    memo: std::sync::MutexGuard<'a, FxHashMap<String, String>>,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.memo.get(&token.text) {
            // Reuse the token's buffer: no allocation for a word seen before.
            token.text.clear();
            token.text.push_str(stem);
        } else {
            let stem = self.stemmer.stem(&token.text).into_owned();
            let word = mem::replace(&mut token.text, stem.clone());
            self.memo.insert(word, stem);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::TokenizerManager;

    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_exactly_like_tantivys_en_stem() {
        let stock = TokenizerManager::default().get("en_stem").unwrap();
        let text = "Migrations migrated the organization's internal intervals; certificates EXPIRED \
                    expired-certificate x509 deadlocks 2024-03-08 naïve Ünïcode averyveryveryveryveryverylongwordthatisover40bytes";
        assert_eq!(tokens(analyzer(Memo::default()), text), tokens(stock, text));
    }

    #[test]
    fn a_line_starts_at_a_multiple_of_the_stride_whatever_the_lines_before_it_hold() {
        let positions = |text: &str| {
            let mut analyzer = analyzer(Memo::default());
            let mut stream = analyzer.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().position);
            }
            out
        };
        assert_eq!(positions("a b\nc d\n\ne"), [0, 1, 1024, 1025, 2048]);
        // A longer first line moves nothing after it.
        assert_eq!(positions("a b x y z\nc d\n\ne")[5..], [1024, 1025, 2048]);
        // A line that ends on a stride still leaves a gap: no phrase across lines.
        let full = "w ".repeat(LINE_STRIDE);
        assert_eq!(positions(&format!("{full}\nc"))[LINE_STRIDE], 2 * LINE_STRIDE);
    }

    #[test]
    fn the_memo_collects_the_vocabulary() {
        let memo = Memo::default();
        assert_eq!(tokens(analyzer(memo.clone()), "Running runs"), ["run", "run"]);
        assert_eq!(tokens(analyzer(memo.clone()), "running"), ["run"]);
        let memo = memo.lock().unwrap();
        assert_eq!(memo.get("running").map(String::as_str), Some("run"));
        assert_eq!(memo.get("runs").map(String::as_str), Some("run"));
        assert_eq!(memo.len(), 2);
    }
}
