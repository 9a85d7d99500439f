//! Turns an export's bytes into UTF-8, chunk by chunk.
//!
//! Windows PowerShell's `Out-File` writes UTF-16 LE with a BOM, `Export-Csv
//! -Encoding UTF8` writes a UTF-8 BOM, PowerShell 7 writes plain UTF-8. The
//! decoder looks at the first bytes once, then passes UTF-8 through without a
//! copy and transcodes UTF-16 with `char::decode_utf16` from std (no
//! `encoding_rs` tables in the Wasm bundle for the one conversion we need).
//! It also recognises the files people drop by mistake (an `.xlsx` or `.zip`,
//! a PDF, a gzip) by their magic bytes, so the message can name the mistake.

use super::FatalError;

/// The text encodings audit exports come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16 little-endian (Windows PowerShell `Out-File`), with or without a BOM.
    Utf16Le,
    /// UTF-16 big-endian.
    Utf16Be,
}

/// Bytes needed to recognise an encoding or a foreign file format.
const SNIFF_LEN: usize = 4;

#[derive(Debug)]
enum State {
    /// Not enough bytes seen yet to decide.
    Detecting(Vec<u8>),
    Utf8,
    Utf16 {
        little_endian: bool,
        /// An odd byte left over from the previous chunk.
        carry: Option<u8>,
        /// A high surrogate waiting for its low half.
        high: Option<u16>,
    },
}

/// Streaming byte-to-UTF-8 decoder.
#[derive(Debug)]
pub(crate) struct TextDecoder {
    state: State,
}

impl TextDecoder {
    pub(crate) fn new() -> Self {
        Self { state: State::Detecting(Vec::with_capacity(SNIFF_LEN)) }
    }

    /// The encoding, once decided.
    pub(crate) fn encoding(&self) -> Option<TextEncoding> {
        match self.state {
            State::Detecting(_) => None,
            State::Utf8 => Some(TextEncoding::Utf8),
            State::Utf16 { little_endian: true, .. } => Some(TextEncoding::Utf16Le),
            State::Utf16 { .. } => Some(TextEncoding::Utf16Be),
        }
    }

    /// Decodes one chunk. The result borrows `input` when no conversion is needed, else `scratch`.
    pub(crate) fn push<'a>(&mut self, input: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<&'a [u8], FatalError> {
        scratch.clear();
        if let State::Detecting(held) = &mut self.state {
            // Only the first few bytes are held to decide: the first chunk may be the whole file
            // (a mapped window, a browser slice), and copying it would double its memory.
            let fresh = held.is_empty();
            let taken = (SNIFF_LEN - held.len()).min(input.len());
            held.extend_from_slice(&input[..taken]);
            if held.len() < SNIFF_LEN {
                return Ok(&[]);
            }
            let held = std::mem::take(held);
            self.decide(&held)?;
            let skip = bom_len(&held);
            if fresh && matches!(self.state, State::Utf8) {
                return Ok(&input[skip..]);
            }
            self.convert(&held[skip..], scratch);
            self.convert(&input[taken..], scratch);
            return Ok(scratch.as_slice());
        }
        if matches!(self.state, State::Utf8) {
            return Ok(input);
        }
        self.convert(input, scratch);
        Ok(scratch.as_slice())
    }

    /// Flushes what is held at end of input.
    pub(crate) fn finish<'a>(&mut self, scratch: &'a mut Vec<u8>) -> Result<&'a [u8], FatalError> {
        scratch.clear();
        if let State::Detecting(held) = &mut self.state {
            let held = std::mem::take(held);
            self.decide(&held)?;
            let skip = bom_len(&held);
            self.convert(&held[skip..], scratch);
        }
        if let State::Utf16 { carry, high, .. } = &mut self.state {
            // A dangling byte or surrogate means the file was cut; keep the text, mark the loss.
            if carry.take().is_some() || high.take().is_some() {
                push_char(scratch, char::REPLACEMENT_CHARACTER);
            }
        }
        Ok(scratch.as_slice())
    }

    fn decide(&mut self, head: &[u8]) -> Result<(), FatalError> {
        if let Some(mistake) = foreign_format(head) {
            return Err(FatalError::NotText { what: mistake });
        }
        self.state = match head {
            [0xFF, 0xFE, ..] => State::Utf16 { little_endian: true, carry: None, high: None },
            [0xFE, 0xFF, ..] => State::Utf16 { little_endian: false, carry: None, high: None },
            // No BOM: ASCII text in UTF-16 has every other byte zero.
            [a, 0, b, 0, ..] if *a != 0 && *b != 0 => State::Utf16 { little_endian: true, carry: None, high: None },
            [0, a, 0, b, ..] if *a != 0 && *b != 0 => State::Utf16 { little_endian: false, carry: None, high: None },
            _ => State::Utf8,
        };
        Ok(())
    }

    fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match &mut self.state {
            State::Detecting(_) => unreachable!("convert runs after decide"),
            State::Utf8 => out.extend_from_slice(input),
            State::Utf16 { little_endian, carry, high } => {
                out.reserve(input.len() / 2 + 4);
                let mut bytes = input;
                let mut units: Vec<u16> = Vec::with_capacity(input.len() / 2 + 2);
                if let Some(h) = high.take() {
                    units.push(h);
                }
                if let Some(first) = carry.take() {
                    if let Some((&second, rest)) = bytes.split_first() {
                        units.push(unit(*little_endian, first, second));
                        bytes = rest;
                    } else {
                        *carry = Some(first);
                    }
                }
                let mut pairs = bytes.chunks_exact(2);
                for pair in &mut pairs {
                    units.push(unit(*little_endian, pair[0], pair[1]));
                }
                if let [last] = pairs.remainder() {
                    *carry = Some(*last);
                }
                // Keep a trailing high surrogate for the next chunk.
                if let Some(&last) = units.last() {
                    if (0xD800..0xDC00).contains(&last) {
                        *high = Some(last);
                        units.pop();
                    }
                }
                for decoded in char::decode_utf16(units) {
                    push_char(out, decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
        }
    }
}

fn unit(little_endian: bool, a: u8, b: u8) -> u16 {
    if little_endian {
        u16::from_le_bytes([a, b])
    } else {
        u16::from_be_bytes([a, b])
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

fn bom_len(head: &[u8]) -> usize {
    match head {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => 2,
        _ => 0,
    }
}

/// Names a non-text format from its magic bytes: the mistakes people make when dropping files.
fn foreign_format(head: &[u8]) -> Option<&'static str> {
    Some(match head {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => {
            "a ZIP archive (an Excel .xlsx workbook is one): open it in Excel and save as CSV, or unzip it first"
        }
        [0xD0, 0xCF, 0x11, 0xE0, ..] => "a legacy Office document (.xls): save it as CSV first",
        [0x1F, 0x8B, ..] => "a gzip-compressed file: decompress it first",
        [b'%', b'P', b'D', b'F', ..] => "a PDF document, not an audit export",
        [0x89, b'P', b'N', b'G', ..] | [0xFF, 0xD8, 0xFF, ..] => "an image, not an audit export",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_chunks(bytes: &[u8], chunk: usize) -> Result<String, FatalError> {
        let mut decoder = TextDecoder::new();
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        for piece in bytes.chunks(chunk.max(1)) {
            out.extend_from_slice(decoder.push(piece, &mut scratch)?);
        }
        out.extend_from_slice(decoder.finish(&mut scratch)?);
        Ok(String::from_utf8(out).unwrap())
    }

    fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(if little_endian { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&if little_endian { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        bytes
    }

    #[test]
    fn every_encoding_and_chunk_size_gives_the_same_text() {
        let text = "CreationDate,UserIds\n\"2025-01-01\",\"zoë@contoso.com 🐦\"\n";
        let inputs = [
            text.as_bytes().to_vec(),
            [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
            utf16(text, true, true),
            utf16(text, false, true),
            utf16(text, true, false),
            utf16(text, false, false),
        ];
        for input in inputs {
            for chunk in [1, 2, 3, 5, 7, 4096] {
                assert_eq!(decode_in_chunks(&input, chunk).unwrap(), text, "chunk {chunk}");
            }
        }
    }

    #[test]
    fn recognises_files_dropped_by_mistake() {
        let err = decode_in_chunks(b"PK\x03\x04rest-of-xlsx", 3).unwrap_err();
        assert!(err.to_string().contains("xlsx"), "{err}");
        assert!(decode_in_chunks(b"%PDF-1.7", 8).is_err());
    }

    #[test]
    fn short_inputs_still_decode() {
        assert_eq!(decode_in_chunks(b"ab", 1).unwrap(), "ab");
        assert_eq!(decode_in_chunks(b"", 1).unwrap(), "");
    }
}
