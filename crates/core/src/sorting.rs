//! One stable sort for every list of records the reports order (actors, cells, connectors,
//! owner changes, rejection tallies, the page's table), and sets and maps built without one.
//!
//! `sort_by` is generic: each element type and comparator gets its own copy of the standard
//! library's sort, about 8 KB of Wasm each, in the page and in the worker, both of which the
//! browser downloads. These lists are short, or sorted once, so they are ordered through one
//! sort over positions instead ([`sort_stable_by`]), and only the small wrapper is generic.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `items` by `compare`, keeping equal items in their order (as `slice::sort_by` does).
///
/// ```
/// let mut rows = vec![("b", 2), ("a", 1), ("c", 2)];
/// sendas_core::sorting::sort_stable_by(&mut rows, |x, y| y.1.cmp(&x.1));
/// assert_eq!(rows, [("b", 2), ("c", 2), ("a", 1)]);
/// ```
pub fn sort_stable_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_indices(&mut order, &|a, b| compare(&items[a], &items[b]));
    let mut taken: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// Sorts positions (indices into a list the caller holds) by `compare`, stably: the one
/// instance of the standard library's stable sort that every list here goes through.
///
/// ```
/// let names = ["carol", "alice", "bob"];
/// let mut order = vec![0, 1, 2];
/// sendas_core::sorting::sort_indices(&mut order, &|a, b| names[a].cmp(names[b]));
/// assert_eq!(order, [1, 2, 0]);
/// ```
pub fn sort_indices(order: &mut [usize], compare: &dyn Fn(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// A set of the items, built by inserting them: `collect()` into a `BTreeSet` sorts them first
/// with its own copy of the stable sort for each item type.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for item in items {
        set.insert(item);
    }
    set
}

/// A map of the pairs, built by inserting them (a later value for a key wins, as with
/// `collect()`), for the same reason as [`set_of`].
pub fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (key, value) in pairs {
        map.insert(key, value);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_orders_as_the_standard_stable_sort_does() {
        let mut seed = 7u64;
        for len in [0, 1, 2, 3, 17, 100, 1000] {
            let items: Vec<(u8, u32)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let (mut ours, mut std) = (items.clone(), items);
            sort_stable_by(&mut ours, |a, b| a.0.cmp(&b.0));
            std.sort_by_key(|a| a.0);
            assert_eq!(ours, std, "{len}");
        }
    }
}
