//! The byte form an analysis crosses between workers in, both ways: little-endian fixed-width
//! numbers, lengths as `u32`, strings as a length and UTF-8, an option as a 0/1 byte and its
//! value. [`Out`] writes it; [`Cursor`] reads it, checking every length against the bytes left,
//! so damaged bytes are an `Err`, never a panic or an allocation sized by a damaged count.
//! Used by the record columns (`records.rs`) and the rest of an analysis (`wire.rs`); imports
//! nothing of the analysis.

/// Appends values to a buffer.
pub(crate) struct Out(pub Vec<u8>);

impl Out {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn len(&mut self, n: usize) {
        self.u32(n as u32);
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.0.extend_from_slice(b);
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub(crate) fn opt_str(&mut self, s: Option<&str>) {
        self.u8(u8::from(s.is_some()));
        if let Some(s) = s {
            self.str(s);
        }
    }
    pub(crate) fn opt_i64(&mut self, v: Option<i64>) {
        self.u8(u8::from(v.is_some()));
        if let Some(v) = v {
            self.i64(v);
        }
    }
    pub(crate) fn strs(&mut self, all: &[String]) {
        self.len(all.len());
        all.iter().for_each(|s| self.str(s));
    }
    pub(crate) fn u32s(&mut self, all: &[u32]) {
        self.len(all.len());
        all.iter().for_each(|&v| self.u32(v));
    }
}

/// Reads what [`Out`] wrote.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or("the analysis is cut short")?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// `n` items of `size` bytes.
    pub(crate) fn items(&mut self, n: usize, size: usize) -> Result<std::slice::ChunksExact<'a, u8>, String> {
        Ok(self.take(n.checked_mul(size).ok_or("the analysis is cut short")?)?.chunks_exact(size))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| "cut short")?))
    }
    pub(crate) fn i64(&mut self) -> Result<i64, String> {
        Ok(self.u64()? as i64)
    }
    pub(crate) fn u128(&mut self) -> Result<u128, String> {
        Ok(u128::from_le_bytes(self.take(16)?.try_into().map_err(|_| "cut short")?))
    }
    pub(crate) fn usize(&mut self) -> Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| "a number too large".into())
    }
    pub(crate) fn flag(&mut self) -> Result<bool, String> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err("a flag that is neither 0 nor 1".into()),
        }
    }
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub(crate) fn str(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.bytes()?).map_err(|_| "a string is not UTF-8".into())
    }
    pub(crate) fn string(&mut self) -> Result<String, String> {
        self.str().map(str::to_owned)
    }
    pub(crate) fn opt_string(&mut self) -> Result<Option<String>, String> {
        self.flag()?.then(|| self.string()).transpose()
    }
    pub(crate) fn opt_i64(&mut self) -> Result<Option<i64>, String> {
        self.flag()?.then(|| self.i64()).transpose()
    }
    /// A count of items at least `min` bytes each: checked against the bytes left before
    /// anything is allocated for them.
    pub(crate) fn count(&mut self, min: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min.max(1)) > self.left() {
            return Err("a count larger than the bytes left".into());
        }
        Ok(n)
    }
    pub(crate) fn strings(&mut self) -> Result<Vec<String>, String> {
        (0..self.count(4)?).map(|_| self.string()).collect()
    }
    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>, String> {
        (0..self.count(4)?).map(|_| self.u32()).collect()
    }
}
